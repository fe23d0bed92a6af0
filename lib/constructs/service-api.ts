import { Lazy, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { InfrastructureError } from '../errors';
import { acknowledgeSynchronousInvocation } from './service-function';
import { WebAcl, type WebAclProps } from './web-acl';

export interface Throttle {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

/** Who checks the callers of the API's routes. */
export interface ApiAuthorizer {
  readonly authorizer: apigateway.IAuthorizer;
  /**
   * `cognito`: a Cognito user pool authorizer (ID tokens); `lambda`: a Lambda authorizer (an OpenID
   * Connect issuer's JWTs, or an API key); the reason is what cdk-nag's COG4 is told.
   */
  readonly kind: 'cognito' | { readonly lambda: string };
  /** The message of the 401 gateway response (no or an invalid credential). */
  readonly unauthorizedMessage: string;
}

export interface ServiceApiProps {
  readonly restApiName: string;
  readonly description: string;
  /** @default v1 */
  readonly stageName?: string;
  /** Stage-wide throttling. */
  readonly throttle: Throttle;
  /**
   * Checks every route that is not added as public. Without it, every route must be public (an API
   * whose callers authenticate in the function, e.g. a signed webhook).
   */
  readonly auth?: ApiAuthorizer;
  /**
   * An AWS WAF web ACL in front of the stage (rate limit per client IP, AWS managed rules); without
   * it, stage and route throttling are the only bound.
   */
  readonly waf?: WebAclProps;
  /**
   * Creates the account-level role API Gateway writes logs with. An AWS account and region has one:
   * only the first API of the app creates it, the others depend on that API's stack.
   * @default true
   */
  readonly cloudWatchRole?: boolean;
  /** @default DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
}

export interface RouteOptions {
  /**
   * `authorized` (default): the API's authorizer checks the caller first, and the function gets the
   * verified claims; `public`: anyone may call it (only what a storefront shows to everybody).
   */
  readonly access?: 'authorized' | 'public';
  /**
   * Why a public route is public, for its cdk-nag acknowledgements.
   * @default the storefront shows it to everybody, signed in or not
   */
  readonly publicReason?: string;
  /** Required request headers, checked by API Gateway before the function runs. */
  readonly requiredHeaders?: readonly string[];
  /** Tighter throttling for this route than the stage's. */
  readonly throttle?: Throttle;
}

/** Error body template in the project's shape: `{"error":{"code","message","details"}}`. */
function errorTemplate(code: string, message: string): string {
  return JSON.stringify({ error: { code, message: '__MESSAGE__', details: [] } }).replace(
    '"__MESSAGE__"',
    message,
  );
}

/** `$context.error.messageString` is API Gateway's own message, already a quoted JSON string. */
const GATEWAY_MESSAGE = '$context.error.messageString';

/**
 * Errors API Gateway answers itself, before or instead of a function, rendered in the project's
 * error shape with no internal detail.
 */
const GATEWAY_RESPONSES: ReadonlyArray<{
  id: string;
  type: apigateway.ResponseType;
  /** Overrides API Gateway's status; unset keeps it (the DEFAULT_* responses cover many statuses). */
  statusCode?: string;
  code: string;
  message: string;
}> = [
  {
    id: 'BadRequestParameters',
    type: apigateway.ResponseType.BAD_REQUEST_PARAMETERS,
    statusCode: '400',
    code: 'MISSING_PARAMETER',
    message: GATEWAY_MESSAGE,
  },
  {
    id: 'BadRequestBody',
    type: apigateway.ResponseType.BAD_REQUEST_BODY,
    statusCode: '400',
    code: 'INVALID_BODY',
    message: GATEWAY_MESSAGE,
  },
  {
    id: 'RequestTooLarge',
    type: apigateway.ResponseType.REQUEST_TOO_LARGE,
    statusCode: '413',
    code: 'PAYLOAD_TOO_LARGE',
    message: '"The request body is too large."',
  },
  {
    id: 'Throttled',
    type: apigateway.ResponseType.THROTTLED,
    statusCode: '429',
    code: 'TOO_MANY_REQUESTS',
    message: '"Too many requests. Retry later."',
  },
  {
    id: 'AccessDenied',
    type: apigateway.ResponseType.ACCESS_DENIED,
    statusCode: '403',
    code: 'FORBIDDEN',
    message: '"The credential does not allow this request."',
  },
  {
    id: 'WafFiltered',
    type: apigateway.ResponseType.WAF_FILTERED,
    statusCode: '403',
    code: 'FORBIDDEN',
    message: '"The request was blocked."',
  },
  {
    id: 'MissingAuthenticationToken',
    type: apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN,
    statusCode: '404',
    code: 'NOT_FOUND',
    message: '"No route matches this method and path."',
  },
  {
    id: 'IntegrationTimeout',
    type: apigateway.ResponseType.INTEGRATION_TIMEOUT,
    statusCode: '504',
    code: 'TIMEOUT',
    message: '"The request timed out. Retry later (with the same Idempotency-Key for POST /orders)."',
  },
  {
    id: 'Default4xx',
    type: apigateway.ResponseType.DEFAULT_4XX,
    code: 'BAD_REQUEST',
    message: GATEWAY_MESSAGE,
  },
  {
    id: 'Default5xx',
    type: apigateway.ResponseType.DEFAULT_5XX,
    code: 'INTERNAL_ERROR',
    message: '"The request could not be processed. Retry later."',
  },
];

/**
 * A REST API with the project's defaults: a regional endpoint; stage throttling; JSON access logs;
 * execution error logs, X-Ray tracing and CloudWatch metrics; a validator that rejects requests
 * missing required parameters before any function runs; gateway errors in the project's JSON error
 * shape; an authorizer on every route not added as public; optionally a WAF web ACL. Routes are
 * Lambda proxy integrations added with `addRoute`.
 */
export class ServiceApi extends Construct {
  readonly api: apigateway.RestApi;
  readonly accessLogGroup: logs.LogGroup;
  readonly validator: apigateway.RequestValidator;
  readonly webAcl?: WebAcl;
  private readonly auth: ApiAuthorizer | undefined;
  private readonly routeThrottles: apigateway.CfnStage.MethodSettingProperty[] = [];
  private readonly routes = new Set<string>();

  constructor(scope: Construct, id: string, props: ServiceApiProps) {
    super(scope, id);
    this.auth = props.auth;
    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.api = new apigateway.RestApi(this, 'Api', {
      restApiName: props.restApiName,
      description: props.description,
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      cloudWatchRole: props.cloudWatchRole ?? true,
      ...((props.cloudWatchRole ?? true) ? { cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN } : {}),
      deployOptions: {
        stageName: props.stageName ?? 'v1',
        throttlingRateLimit: props.throttle.rateLimit,
        throttlingBurstLimit: props.throttle.burstLimit,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields({
          caller: false,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: false,
        }),
      },
    });
    // Route throttles are known only as routes are added, after the stage exists: render them lazily
    // next to the stage-wide `/*/*` settings.
    const cfnStage = this.api.deploymentStage.node.defaultChild as apigateway.CfnStage;
    const stageSettings = cfnStage.methodSettings;
    cfnStage.methodSettings = Lazy.any({
      produce: () => [...(Array.isArray(stageSettings) ? stageSettings : []), ...this.routeThrottles],
    });
    // Body validation applies only to methods declaring a request model; routes declare none, so
    // bodies reach the handlers, which validate them and answer in the project's error shape.
    this.validator = this.api.addRequestValidator('RequestValidator', {
      requestValidatorName: 'parameters-and-modelled-bodies',
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    const responses = [
      ...GATEWAY_RESPONSES,
      {
        id: 'Unauthorized',
        type: apigateway.ResponseType.UNAUTHORIZED,
        statusCode: '401',
        code: 'UNAUTHORIZED',
        message: JSON.stringify(props.auth?.unauthorizedMessage ?? 'A valid credential is required'),
      },
    ];
    for (const response of responses) {
      this.api.addGatewayResponse(response.id, {
        type: response.type,
        ...(response.statusCode ? { statusCode: response.statusCode } : {}),
        responseHeaders: { 'Content-Type': "'application/json'" },
        templates: { 'application/json': errorTemplate(response.code, response.message) },
      });
    }

    const validations = Validations.of(this);
    if (props.waf) {
      this.webAcl = new WebAcl(this, 'WebAcl', props.waf);
      this.webAcl.associate('Stage', this.api.deploymentStage.stageArn);
    } else {
      validations.acknowledge({
        id: 'AwsSolutions-APIG3',
        reason:
          'Outside prod there is no AWS WAF web ACL (it has a monthly cost); stage and route throttling bound the load. stage=prod puts a web ACL with a rate-based rule and AWS managed rules in front.',
      });
    }
    if (props.cloudWatchRole ?? true) {
      validations.acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'The account-level role API Gateway needs to write access and execution logs; this AWS managed policy is the documented one for it.',
      });
    }
  }

  /**
   * Adds `method path` as a Lambda proxy integration, behind the API's authorizer unless `access` is
   * `public`.
   */
  addRoute(method: string, path: string, fn: lambda.Function, options: RouteOptions = {}): apigateway.Method {
    const key = `${method} ${path}`;
    const access = options.access ?? 'authorized';
    if (this.routes.has(key)) throw new InfrastructureError(`Route ${key} is defined twice`);
    const auth = this.auth;
    if (access === 'authorized' && auth === undefined) {
      throw new InfrastructureError(`Route ${key} needs an authorizer, and the API has none`);
    }
    this.routes.add(key);
    const resource = this.api.root.resourceForPath(path);
    const requestParameters: Record<string, boolean> = {};
    for (const name of pathParameters(path)) requestParameters[`method.request.path.${name}`] = true;
    for (const header of options.requiredHeaders ?? [])
      requestParameters[`method.request.header.${header}`] = true;
    const apiMethod = resource.addMethod(
      method,
      new apigateway.LambdaIntegration(fn, { proxy: true, allowTestInvoke: false }),
      {
        requestValidator: this.validator,
        ...(Object.keys(requestParameters).length > 0 ? { requestParameters } : {}),
        ...(access === 'authorized' && auth
          ? {
              authorizer: auth.authorizer,
              authorizationType:
                auth.kind === 'cognito'
                  ? apigateway.AuthorizationType.COGNITO
                  : apigateway.AuthorizationType.CUSTOM,
            }
          : { authorizationType: apigateway.AuthorizationType.NONE }),
      },
    );
    const validations = Validations.of(apiMethod);
    if (access === 'public') {
      const reason = `${key} is public by design: ${options.publicReason ?? 'the storefront shows it to everybody, signed in or not'}.`;
      validations.acknowledge({ id: 'AwsSolutions-APIG4', reason });
      validations.acknowledge({ id: 'AwsSolutions-COG4', reason });
    } else if (auth && auth.kind !== 'cognito') {
      validations.acknowledge({ id: 'AwsSolutions-COG4', reason: `${key}: ${auth.kind.lambda}` });
    }
    if (options.throttle) {
      this.routeThrottles.push({
        httpMethod: method,
        resourcePath: `/${path.replaceAll('/', '~1')}`,
        throttlingRateLimit: options.throttle.rateLimit,
        throttlingBurstLimit: options.throttle.burstLimit,
      });
    }
    acknowledgeSynchronousInvocation(fn, `API Gateway (${key})`);
    return apiMethod;
  }

  /** Invoke URL of the stage. */
  get url(): string {
    return this.api.url;
  }
}

function pathParameters(path: string): string[] {
  return [...path.matchAll(/\{([A-Za-z0-9_]+)\+?\}/g)].flatMap((match) => (match[1] ? [match[1]] : []));
}
