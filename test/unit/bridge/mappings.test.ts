import { describe, expect, it } from 'vitest';
import { BridgeConfigError, bridgedMappingsOf } from '#localstack/bridge/mappings';

const mapping = {
  functionName: 'OrderSaga-local-Orders-SagaConsumerFunction',
  functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:OrderSaga-local-Orders-SagaConsumerFunction',
  topic: 'payments.events',
  consumerGroupId: 'order-saga-orders-payments.events',
  startingPosition: 'TRIM_HORIZON',
  batchSize: 100,
  maximumBatchingWindowInSeconds: 1,
  maximumRetryAttempts: 10,
  bisectBatchOnFunctionError: true,
  reportBatchItemFailures: true,
  onFailureDestination: 'arn:aws:sqs:us-east-1:000000000000:saga-on-failure',
};

describe('Function: bridgedMappingsOf', () => {
  it('reads the KafkaMapping outputs of every stack and ignores the other outputs', () => {
    // Prepare
    const outputs = {
      'OrderSaga-local-Orders': { KafkaMappingorderspaymentsevents: JSON.stringify(mapping), ApiUrl: 'x' },
      'OrderSaga-local-Network': { VpcId: 'vpc-1' },
    };

    // Act
    const mappings = bridgedMappingsOf(outputs);

    // Assess
    expect(mappings).toEqual([mapping]);
  });

  it('rejects an output that is not a mapping, naming it', () => {
    // Prepare
    const outputs = {
      'OrderSaga-local-Orders': {
        KafkaMappingorderspaymentsevents: JSON.stringify({ ...mapping, batchSize: 0 }),
      },
    };

    // Act
    const act = () => bridgedMappingsOf(outputs);

    // Assess
    expect(act).toThrow(BridgeConfigError);
    expect(act).toThrow(/OrderSaga-local-Orders.KafkaMappingorderspaymentsevents is not a mapping/);
    expect(() => bridgedMappingsOf({ S: { KafkaMappingx: '{' } })).toThrow(/is not JSON/);
  });
});
