import type {
  GatewayResponseDefinition,
  RestApiDefinition,
  RouteAuthorization,
  RouteDefinition,
} from './api-gateway';
import type { LocalFunctions } from './functions';
import type { LocalLambda } from './lambda';
import type { Resolver } from './resolve';
import {
  type CfnResource,
  type LocatedResource,
  resourcesOfType,
  type StackTemplate,
  TemplateError,
} from './template';

/** `method.request.header.Authorization, method.request.header.X-Api-Key` → the header names. */
function identityHeaders(source: unknown): string[] {
  return String(source ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('method.request.header.'))
    .map((part) => part.slice('method.request.header.'.length));
}

/**
 * Reads every REST API of the templates (`AWS::ApiGateway::RestApi`) into what LocalApiGateway
 * serves, in template order: one route per AWS_PROXY method (path from the resource tree, the
 * function from the integration URI, required parameters when the method's validator checks them,
 * the method's authorizer), the gateway responses and the stage name.
 */
export function restApisFromTemplate(
  stacks: readonly StackTemplate[],
  resolver: Resolver,
  functions: LocalFunctions,
): RestApiDefinition[] {
  return resourcesOfType(stacks, 'AWS::ApiGateway::RestApi').map((api) =>
    restApiOf(api, resolver, functions),
  );
}

function restApiOf(api: LocatedResource, resolver: Resolver, functions: LocalFunctions): RestApiDefinition {
  const { stack, logicalId: apiId } = api;
  const resources = stack.resources;
  const refOf = (value: unknown): string | undefined => {
    const v = value as { Ref?: string; 'Fn::GetAtt'?: string[] } | undefined;
    if (v?.Ref) return v.Ref;
    if (v?.['Fn::GetAtt']?.[1] === 'RootResourceId') return `${v['Fn::GetAtt'][0]}-root`;
    return undefined;
  };
  const ofThisApi = (resource: CfnResource) => refOf(resource.Properties?.RestApiId) === apiId;
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

  const authorizers = new Map<string, RouteAuthorization>();
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::ApiGateway::Authorizer' || !ofThisApi(resource)) continue;
    const props = resource.Properties ?? {};
    const name = String(props.Name ?? logicalId);
    const headers = identityHeaders(props.IdentitySource);
    if (props.Type === 'COGNITO_USER_POOLS') {
      authorizers.set(logicalId, {
        type: 'COGNITO_USER_POOLS',
        name,
        identityHeaders: headers,
        userPoolArns: ((props.ProviderARNs as unknown[] | undefined) ?? []).map((arn) =>
          resolver.resolveString(stack, arn),
        ),
      });
    } else if (props.Type === 'TOKEN' || props.Type === 'REQUEST') {
      const fn = findFunction(props.AuthorizerUri);
      if (!fn) throw new TemplateError(`Authorizer ${logicalId} names no function of the templates`);
      authorizers.set(logicalId, {
        type: 'CUSTOM',
        name,
        authorizerType: props.Type,
        fn,
        identityHeaders: headers,
        ttlSeconds:
          typeof props.AuthorizerResultTtlInSeconds === 'number' ? props.AuthorizerResultTtlInSeconds : 300,
      });
    } else {
      throw new TemplateError(`Authorizer ${logicalId}: type ${String(props.Type)} is not emulated`);
    }
  }

  const routes: RouteDefinition[] = [];
  for (const method of Object.values(resources).filter(
    (r) => r.Type === 'AWS::ApiGateway::Method' && ofThisApi(r),
  )) {
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
    const type = String(props.AuthorizationType ?? 'NONE');
    let authorization: RouteAuthorization = { type: 'NONE' };
    if (type === 'COGNITO_USER_POOLS' || type === 'CUSTOM') {
      const authorizerId = refOf(props.AuthorizerId) ?? '';
      const found = authorizers.get(authorizerId);
      if (!found)
        throw new TemplateError(`Method ${String(props.HttpMethod)} has no authorizer ${authorizerId}`);
      authorization = found;
    } else if (type !== 'NONE') {
      throw new TemplateError(`Authorization type ${type} is not emulated`);
    }
    routes.push({
      httpMethod: String(props.HttpMethod),
      resourcePath: pathOf(refOf(props.ResourceId)) || '/',
      fn,
      requiredHeaders: required('method.request.header.'),
      requiredQuery: required('method.request.querystring.'),
      validateParameters: validator?.Properties?.ValidateRequestParameters === true,
      authorization,
    });
  }

  const gatewayResponses: Record<string, GatewayResponseDefinition> = {};
  for (const response of Object.values(resources).filter(
    (r) => r.Type === 'AWS::ApiGateway::GatewayResponse' && ofThisApi(r),
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

  const stage = Object.values(resources).find((r) => r.Type === 'AWS::ApiGateway::Stage' && ofThisApi(r));
  return {
    id: resolver.resolveString(stack, { Ref: apiId }),
    name: String(api.resource.Properties?.Name ?? apiId),
    stageName: String(stage?.Properties?.StageName ?? 'prod'),
    routes,
    gatewayResponses,
  };
}
