import type { GatewayResponseDefinition, RestApiDefinition, RouteDefinition } from './api-gateway';
import type { LocalFunctions } from './functions';
import type { LocalLambda } from './lambda';
import type { Resolver } from './resolve';
import { type CfnResource, resourcesOfType, type StackTemplate, TemplateError } from './template';

/**
 * Reads the REST API of the templates (the first `AWS::ApiGateway::RestApi`) into what
 * LocalApiGateway serves: one route per AWS_PROXY method (path from the resource tree, the
 * function from the integration URI, required parameters when the method's validator checks
 * them), the gateway responses and the stage name. Undefined when the templates hold no REST API.
 */
export function restApiFromTemplate(
  stacks: readonly StackTemplate[],
  resolver: Resolver,
  functions: LocalFunctions,
): RestApiDefinition | undefined {
  const [first] = resourcesOfType(stacks, 'AWS::ApiGateway::RestApi');
  if (!first) return undefined;
  const { stack, logicalId: apiId } = first;
  const resources = stack.resources;
  const refOf = (value: unknown): string | undefined => {
    const v = value as { Ref?: string; 'Fn::GetAtt'?: string[] } | undefined;
    if (v?.Ref) return v.Ref;
    if (v?.['Fn::GetAtt']?.[1] === 'RootResourceId') return `${v['Fn::GetAtt'][0]}-root`;
    return undefined;
  };
  const pathOf = (resourceId: string | undefined): string => {
    if (!resourceId || resourceId === `${apiId}-root`) return '';
    const resource = resources[resourceId];
    if (!resource) throw new TemplateError(`Unknown API resource ${resourceId}`);
    return `${pathOf(refOf(resource.Properties?.ParentId))}/${String(resource.Properties?.PathPart)}`;
  };
  const findFunction = (value: unknown): LocalLambda | undefined => {
    if (Array.isArray(value)) return value.map(findFunction).find(Boolean);
    if (value === null || typeof value !== 'object') return undefined;
    const getAtt = (value as Record<string, unknown>)['Fn::GetAtt'];
    if (Array.isArray(getAtt) && resources[String(getAtt[0])]?.Type === 'AWS::Lambda::Function') {
      return functions.get(resolver.resolve(stack, { 'Fn::GetAtt': [getAtt[0], 'Arn'] }));
    }
    return Object.values(value).map(findFunction).find(Boolean);
  };

  const routes: RouteDefinition[] = [];
  for (const method of Object.values(resources).filter((r) => r.Type === 'AWS::ApiGateway::Method')) {
    const props = method.Properties ?? {};
    const integration = props.Integration as { Type?: string; Uri?: unknown } | undefined;
    if (integration?.Type !== 'AWS_PROXY') continue;
    const fn = findFunction(integration.Uri);
    if (!fn) continue;
    const parameters = (props.RequestParameters ?? {}) as Record<string, boolean>;
    const required = (prefix: string) =>
      Object.entries(parameters)
        .filter(([key, req]) => req === true && key.startsWith(prefix))
        .map(([key]) => key.slice(prefix.length));
    const validator = resources[refOf(props.RequestValidatorId) ?? ''] as CfnResource | undefined;
    routes.push({
      httpMethod: String(props.HttpMethod),
      resourcePath: pathOf(refOf(props.ResourceId)) || '/',
      fn,
      requiredHeaders: required('method.request.header.'),
      requiredQuery: required('method.request.querystring.'),
      validateParameters: validator?.Properties?.ValidateRequestParameters === true,
    });
  }

  const gatewayResponses: Record<string, GatewayResponseDefinition> = {};
  for (const response of Object.values(resources).filter(
    (r) => r.Type === 'AWS::ApiGateway::GatewayResponse',
  )) {
    const props = response.Properties ?? {};
    const headers = Object.fromEntries(
      Object.entries((props.ResponseParameters ?? {}) as Record<string, string>).map(([key, value]) => [
        key.replace('gatewayresponse.header.', ''),
        value.replace(/^'|'$/g, ''),
      ]),
    );
    gatewayResponses[String(props.ResponseType)] = {
      statusCode: props.StatusCode === undefined ? undefined : String(props.StatusCode),
      template: (props.ResponseTemplates as Record<string, string> | undefined)?.['application/json'],
      headers,
    };
  }

  const stage = Object.values(resources).find((r) => r.Type === 'AWS::ApiGateway::Stage');
  return { name: apiId, stageName: String(stage?.Properties?.StageName ?? 'prod'), routes, gatewayResponses };
}
