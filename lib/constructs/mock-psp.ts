import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { CreatePaymentFn, GetPaymentFn, ReleasePaymentFn } from '#functions/mock-psp/contract';
import type { PublicRestApi } from './public-rest-api';
import { ServiceFunction } from './service-function';

export interface MockPspProps {
  /** The REST API the PSP routes are added to (`/psp/payments`). */
  readonly api: PublicRestApi;
  /** Delays and fault rates (`MOCK_PSP_SETTINGS`); the contract's defaults where unset. */
  readonly settings?: {
    readonly PSP_TIMEOUT_DELAY_MS?: number;
    readonly PSP_SLOW_DELAY_MS?: number;
    readonly PSP_FAULT_RATE_5XX?: number;
    readonly PSP_FAULT_RATE_TIMEOUT?: number;
    readonly PSP_LATE_SETTLE_MS?: number;
  };
  /** @default DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A mock payment service provider on the platform's REST API, for tests, demos and chaos runs:
 * `POST /psp/payments` (header `Idempotency-Key` = paymentId), `GET /psp/payments/{paymentId}`,
 * `POST /psp/payments/{paymentId}/void` and `/refund`, with its state in the `psp` table (key
 * `paymentId`). Test tokens decide outcomes (see `functions/mock-psp/model.ts`); fault rates inject
 * 503s and late answers.
 */
export class MockPsp extends Construct {
  readonly table: dynamodb.Table;
  readonly createPayment: ServiceFunction<typeof CreatePaymentFn>;
  readonly getPayment: ServiceFunction<typeof GetPaymentFn>;
  readonly releasePayment: ServiceFunction<typeof ReleasePaymentFn>;
  /** Base URL the payment service calls: the API's URL plus `psp`. */
  readonly baseUrl: string;

  constructor(scope: Construct, id: string, props: MockPspProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    const settings = props.settings ?? {};
    const timeoutDelayMs = CreatePaymentFn.settings.shape.PSP_TIMEOUT_DELAY_MS.parse(
      settings.PSP_TIMEOUT_DELAY_MS,
    );
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'paymentId', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy,
    });
    this.createPayment = new ServiceFunction(this, 'CreatePayment', {
      contract: CreatePaymentFn,
      tables: { PSP_TABLE_NAME: this.table },
      settings,
      // Late answers sleep past the caller's timeout by design.
      timeout: Duration.millis(timeoutDelayMs + 10_000),
      logRemovalPolicy: removalPolicy,
    });
    this.getPayment = new ServiceFunction(this, 'GetPayment', {
      contract: GetPaymentFn,
      tables: { PSP_TABLE_NAME: this.table },
      settings,
      logRemovalPolicy: removalPolicy,
    });

    this.releasePayment = new ServiceFunction(this, 'ReleasePayment', {
      contract: ReleasePaymentFn,
      tables: { PSP_TABLE_NAME: this.table },
      settings,
      logRemovalPolicy: removalPolicy,
    });

    props.api.addRoute('POST', '/psp/payments', this.createPayment, { requiredHeaders: ['Idempotency-Key'] });
    props.api.addRoute('GET', '/psp/payments/{paymentId}', this.getPayment);
    props.api.addRoute('POST', '/psp/payments/{paymentId}/void', this.releasePayment);
    props.api.addRoute('POST', '/psp/payments/{paymentId}/refund', this.releasePayment);
    this.baseUrl = `${props.api.url}psp`;
  }
}
