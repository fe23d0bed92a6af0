import { describe, expect, it } from 'vitest';
import { FaultError, LocalFaults } from '#localstack/runtime/faults';
import type { LocalLambda } from '#localstack/runtime/lambda';
import { LogSink } from '#localstack/runtime/logs';

/** A cluster that records broker commands, a function and a DynamoDB proxy stand-in. */
function targets() {
  const commands: string[] = [];
  const fn = {
    definition: { name: 'saga', arn: 'arn:aws:lambda:us-east-1:000000000000:function:saga' },
  } as LocalLambda;
  const dynamo = { addedLatency: (_operation: string) => 0 };
  const faults = new LocalFaults(
    {
      kafka: {
        brokerIds: [1, 2, 3],
        brokerDown: async (id) => {
          commands.push(`down ${id}`);
        },
        brokerUp: async (id) => {
          commands.push(`up ${id}`);
        },
      },
      findFunction: (reference) => (reference === 'saga' ? fn : undefined),
      dynamo,
    },
    new LogSink(undefined, false),
  );
  return { faults, commands, fn, dynamo };
}

describe('Class: LocalFaults', () => {
  it('keeps a broker down while any fault covers it', async () => {
    // Prepare
    const { faults, commands } = targets();
    const all = await faults.add({ type: 'kafka-brokers-down' });
    const one = await faults.add({ type: 'kafka-brokers-down', brokerIds: [2] });

    // Act
    await faults.remove(all.id);

    // Assess
    expect(commands).toEqual(['down 1', 'down 2', 'down 3', 'up 1', 'up 3']);
    expect(faults.list()).toEqual([one]);
  });

  it('sets and clears the crash fault of a function', async () => {
    // Prepare
    const { faults, fn } = targets();

    // Act
    const fault = await faults.add({
      type: 'lambda-crash',
      functionName: 'saga',
      probability: 0.5,
      afterMs: 20,
    });
    const during = fn.crashFault;
    await faults.remove(fault.id);

    // Assess
    expect(during).toEqual({ probability: 0.5, afterMs: 20 });
    expect(fn.crashFault).toBeUndefined();
  });

  it('adds the latencies of the faults that cover an operation', async () => {
    // Prepare
    const { faults, dynamo } = targets();
    await faults.add({ type: 'dynamodb-latency', latencyMs: 100 });
    await faults.add({ type: 'dynamodb-latency', latencyMs: 50, operations: ['PutItem'] });

    // Act
    const put = dynamo.addedLatency('PutItem');
    const get = dynamo.addedLatency('GetItem');
    await faults.removeAll();

    // Assess
    expect([put, get]).toEqual([150, 100]);
    expect(dynamo.addedLatency('PutItem')).toBe(0);
  });

  it.each([
    [{ type: 'lambda-crash', functionName: 'nothing', probability: 1 }, 404],
    [{ type: 'lambda-crash', functionName: 'saga', probability: 2 }, 400],
    [{ type: 'kafka-brokers-down', brokerIds: [7] }, 400],
    [{ type: 'dynamodb-latency', latencyMs: -1 }, 400],
    [{ type: 'kafka-brokers-down', durationSeconds: 0 }, 400],
    [{ type: 'disk-full' }, 400],
  ])('rejects %j with status %i', async (spec, status) => {
    // Prepare
    const { faults } = targets();

    // Act
    const added = faults.add(spec as never);

    // Assess
    await expect(added).rejects.toBeInstanceOf(FaultError);
    await expect(added).rejects.toMatchObject({ status });
    expect(faults.list()).toEqual([]);
  });
});
