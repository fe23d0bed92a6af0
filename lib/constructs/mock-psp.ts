import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  AuthorizeApiKeyFn,
  CreatePaymentFn,
  GetPaymentFn,
  ReleasePaymentFn,
} from '#functions/mock-psp/contract';
import { ServiceApi, type Throttle } from './service-api';
import { acknowledgeSynchronousInvocation, ServiceFunction } from './service-function';

export interface MockPspProps {
  readonly stage: string;
  /** Delays and fault rates (`MOCK_PSP_SETTINGS`); the contract's defaults where unset. */
  readonly settings?: {
    readonly PSP_TIMEOUT_DELAY_MS?: number;
    readonly PSP_SLOW_DELAY_MS?: number;
    readonly PSP_FAULT_RATE_5XX?: number;
    readonly PSP_FAULT_RATE_TIMEOUT?: number;
    readonly PSP_LATE_SETTLE_MS?: number;
  };
  /**
   * Reserved concurrency of each mock PSP function: a flood of PSP calls can use no more of the
   * account's concurrency, and the mock always has this much.
   * @default 10
   */
  readonly reservedConcurrency?: number;
  /** @default 20 requests per second, bursts of 40 */
  readonly throttle?: Throttle;
  /** @default DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A mock payment service provider for tests, demos and chaos runs, on its own REST API (never on the
 * public order API): `POST /payments` (header `Idempotency-Key` = paymentId),
 * `GET /payments/{paymentId}`, `POST /payments/{paymentId}/void` and `/refund`, with its state in the
 * `psp` table (key `paymentId`). Every call needs
 * the API key kept in the `apiKeySecret` (generated at deploy), checked by a REQUEST authorizer, as a
 * live PSP would; the payment service reads the same secret. Test tokens decide outcomes (see
 * `functions/mock-psp/model.ts`); fault rates inject 503s and late answers.
 */
export class MockPsp extends Construct {
  readonly table: dynamodb.Table;
  readonly apiKeySecret: secretsmanager.Secret;
  readonly authorizeApiKey: ServiceFunction<typeof AuthorizeApiKeyFn>;
  readonly createPayment: ServiceFunction<typeof CreatePaymentFn>;
  readonly getPayment: ServiceFunction<typeof GetPaymentFn>;
  readonly releasePayment: ServiceFunction<typeof ReleasePaymentFn>;
  readonly api: ServiceApi;
  /** Base URL the payment service calls (the API's stage URL). */
  readonly baseUrl: string;

  constructor(scope: Construct, id: string, props: MockPspProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    const reservedConcurrentExecutions = props.reservedConcurrency ?? 10;
    const settings = props.settings ?? {};
    const timeoutDelayMs = CreatePaymentFn.settings.shape.PSP_TIMEOUT_DELAY_MS.parse(
      settings.PSP_TIMEOUT_DELAY_MS,
    );

    this.apiKeySecret = new secretsmanager.Secret(this, 'ApiKeySecret', {
      description: 'API key of the mock PSP: the payment service sends it, the mock PSP checks it',
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
      removalPolicy,
    });
    Validations.of(this.apiKeySecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The mock PSP key lives as long as its non-production stage; rotating it means putting a new value (the payment service and the mock read it again within 5 minutes, and on a refused call at once).',
    });

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'paymentId', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy,
    });
    this.authorizeApiKey = new ServiceFunction(this, 'AuthorizeApiKey', {
      contract: AuthorizeApiKeyFn,
      tables: {},
      settings: { PSP_API_KEY_SECRET: this.apiKeySecret.secretArn },
      reservedConcurrentExecutions,
      logRemovalPolicy: removalPolicy,
    });
    this.apiKeySecret.grantRead(this.authorizeApiKey);
    acknowledgeSynchronousInvocation(this.authorizeApiKey, 'API Gateway (the mock PSP API authorizer)');
    this.createPayment = new ServiceFunction(this, 'CreatePayment', {
      contract: CreatePaymentFn,
      tables: { PSP_TABLE_NAME: this.table },
      settings,
      // Late answers sleep past the caller's timeout by design.
      timeout: Duration.millis(timeoutDelayMs + 10_000),
      reservedConcurrentExecutions,
      logRemovalPolicy: removalPolicy,
    });
    this.getPayment = new ServiceFunction(this, 'GetPayment', {
      contract: GetPaymentFn,
      tables: { PSP_TABLE_NAME: this.table },
      settings,
      reservedConcurrentExecutions,
      logRemovalPolicy: removalPolicy,
    });

    this.releasePayment = new ServiceFunction(this, 'ReleasePayment', {
      contract: ReleasePaymentFn,
      tables: { PSP_TABLE_NAME: this.table },
      settings,
      reservedConcurrentExecutions,
      logRemovalPolicy: removalPolicy,
    });

    const authorizer = new apigateway.RequestAuthorizer(this, 'ApiKeyAuthorizer', {
      handler: this.authorizeApiKey,
      identitySources: [apigateway.IdentitySource.header('X-Api-Key')],
      resultsCacheTtl: Duration.minutes(1),
    });
    this.api = new ServiceApi(this, 'Api', {
      restApiName: `OrderSaga-${props.stage}-mock-psp`,
      description: 'Mock payment service provider (tests and demos): payments, by API key only',
      throttle: props.throttle ?? { rateLimit: 20, burstLimit: 40 },
      auth: {
        authorizer,
        kind: {
          lambda:
            'a machine-to-machine API: the payment service authenticates with the PSP API key from Secrets Manager, checked by a Lambda authorizer; there are no users to sign in with Cognito.',
        },
        unauthorizedMessage: 'A valid API key is required in the X-Api-Key header',
      },
      // The order API's stack creates the account's API Gateway logging role.
      cloudWatchRole: false,
      logRemovalPolicy: removalPolicy,
    });
    this.api.addRoute('POST', '/payments', this.createPayment, { requiredHeaders: ['Idempotency-Key'] });
    this.api.addRoute('GET', '/payments/{paymentId}', this.getPayment);
    this.api.addRoute('POST', '/payments/{paymentId}/void', this.releasePayment);
    this.api.addRoute('POST', '/payments/{paymentId}/refund', this.releasePayment);
    this.baseUrl = this.api.url;
  }
}
