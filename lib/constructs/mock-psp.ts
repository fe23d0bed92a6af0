import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import type { PublicRestApi } from './public-rest-api';
import { bindTable, ServiceFunction } from './service-function';

export interface MockPspProps {
  /** The REST API the PSP routes are added to (`/psp/payments`). */
  readonly api: PublicRestApi;
  readonly serviceName: string;
  /** Delay of answers meant to exceed the caller's timeout (`PSP_TIMEOUT_DELAY_MS`). @default 5000 */
  readonly timeoutDelayMs?: number;
  /** Delay of `tok_slow` (`PSP_SLOW_DELAY_MS`). @default 800 */
  readonly slowDelayMs?: number;
  /** Share of authorizations answered 503 (`PSP_FAULT_RATE_5XX`). @default 0 */
  readonly faultRate5xx?: number;
  /** Share of authorizations answered too late (`PSP_FAULT_RATE_TIMEOUT`). @default 0 */
  readonly faultRateTimeout?: number;
  /** @default DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A mock payment service provider on the platform's REST API, for tests, demos and chaos runs:
 * `POST /psp/payments` (header `Idempotency-Key` = paymentId) and `GET /psp/payments/{paymentId}`,
 * with its state in the `psp` table (key `paymentId`). Test tokens decide outcomes (see
 * `src/psp/model.ts`); fault rates inject 503s and late answers.
 */
export class MockPsp extends Construct {
  readonly table: dynamodb.Table;
  readonly createPayment: ServiceFunction;
  readonly getPayment: ServiceFunction;
  /** Base URL the payment service calls: the API's URL plus `psp`. */
  readonly baseUrl: string;

  constructor(scope: Construct, id: string, props: MockPspProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    const timeoutDelayMs = props.timeoutDelayMs ?? 5000;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'paymentId', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy,
    });
    const environment = {
      PSP_TIMEOUT_DELAY_MS: String(timeoutDelayMs),
      PSP_SLOW_DELAY_MS: String(props.slowDelayMs ?? 800),
      PSP_FAULT_RATE_5XX: String(props.faultRate5xx ?? 0),
      PSP_FAULT_RATE_TIMEOUT: String(props.faultRateTimeout ?? 0),
    };
    this.createPayment = new ServiceFunction(this, 'CreatePayment', {
      entry: 'mock-psp/handlers/create-payment.ts',
      serviceName: props.serviceName,
      description: 'Mock PSP: POST /psp/payments',
      // Late answers sleep past the caller's timeout by design.
      timeout: Duration.millis(timeoutDelayMs + 10_000),
      environment,
      logRemovalPolicy: removalPolicy,
    });
    bindTable(this.createPayment, this.table, 'PSP_TABLE_NAME', 'readWrite');
    this.getPayment = new ServiceFunction(this, 'GetPayment', {
      entry: 'mock-psp/handlers/get-payment.ts',
      serviceName: props.serviceName,
      description: 'Mock PSP: GET /psp/payments/{paymentId}',
      environment,
      logRemovalPolicy: removalPolicy,
    });
    bindTable(this.getPayment, this.table, 'PSP_TABLE_NAME', 'readWrite');

    props.api.addRoute('POST', '/psp/payments', this.createPayment, { requiredHeaders: ['Idempotency-Key'] });
    props.api.addRoute('GET', '/psp/payments/{paymentId}', this.getPayment);
    this.baseUrl = `${props.api.url}psp`;
  }
}
