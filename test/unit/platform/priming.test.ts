import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { logger } from '#platform/powertools';
import { dynamoDbPrimer, primeOnInit } from '#platform/priming';

const dynamo = mockClient(DynamoDBClient);

describe('Function: primeOnInit', () => {
  beforeEach(() => {
    dynamo.reset();
    vi.restoreAllMocks();
  });

  it('primes the DynamoDB client with a DescribeTable of its table when the environment is provisioned ahead of invocations', async () => {
    // Prepare
    dynamo.on(DescribeTableCommand).resolves({ Table: { TableName: 'orders' } });
    const client = new DynamoDBClient({});

    // Act
    await primeOnInit([dynamoDbPrimer(client, 'orders')], { initType: 'provisioned-concurrency' });

    // Assess
    expect(dynamo.commandCalls(DescribeTableCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: 'orders' },
    ]);
    expect(dynamo.calls()).toHaveLength(1);
  });

  it.each([['on-demand'], ['snap-start'], [undefined]])(
    'primes nothing when the init type is %s',
    async (initType) => {
      // Prepare
      const prime = vi.fn(async () => {});

      // Act
      await primeOnInit([{ what: 'client', prime }], { initType });

      // Assess
      expect(prime).not.toHaveBeenCalled();
    },
  );

  it('swallows a failed priming and logs it at debug level', async () => {
    // Prepare
    dynamo.on(DescribeTableCommand).rejects(new Error('AccessDeniedException'));
    const debug = vi.spyOn(logger, 'debug');
    const other = vi.fn(async () => {});

    // Act
    const primed = primeOnInit(
      [dynamoDbPrimer(new DynamoDBClient({}), 'orders'), { what: 'other client', prime: other }],
      { initType: 'provisioned-concurrency' },
    );

    // Assess
    await expect(primed).resolves.toBeUndefined();
    expect(other).toHaveBeenCalledOnce();
    expect(debug).toHaveBeenCalledWith(
      'priming failed; the first invocation warms it instead',
      expect.objectContaining({ primer: 'DynamoDB (DescribeTable orders)' }),
    );
  });

  it('goes on with the init once the budget is spent when a priming request hangs', async () => {
    // Prepare
    const hanging = () => new Promise<void>(() => {});

    // Act
    const primed = primeOnInit([{ what: 'hanging client', prime: hanging }], {
      initType: 'provisioned-concurrency',
      budgetMs: 20,
    });

    // Assess
    await expect(primed).resolves.toBeUndefined();
  });
});
