import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, awsClients } from '#chaos/aws';
import { ApiClient, CognitoSignIn } from '#chaos/client';
import { LocalFaultEndpoint } from '#chaos/faults';
import { failed } from '#chaos/report';
import { runScenarios } from '#chaos/run';
import { QUICK, SCENARIOS } from '#chaos/scenarios';
import { signInFromRuntimeInfo } from '#chaos/sign-in';
import { takeSnapshot } from '#chaos/snapshot';
import { SystemMap } from '#chaos/system';
import { kafkaConfig, TopicWatcher } from '#chaos/topics';
import type { LocalRuntime } from '#localstack/runtime/runtime';
import { runtimeInfoOf } from '#localstack/runtime/runtime-info';
import { ALICE, BOB, subOf } from '#test/helpers/auth';
import { startRuntime } from '#test/helpers/local-runtime';

/**
 * One chaos scenario end to end, through the same code as `npm run chaos`: the demo customers signed
 * in through the local Cognito API, the saga's inventory mapping paused through the Lambda API under
 * their orders, then the invariants over the tables (stock in the inventory table), the PSP and the
 * topics.
 */
describe('End to end: a chaos scenario', () => {
  let runtime: LocalRuntime;
  let clients: AwsClients;
  let topics: TopicWatcher | undefined;

  beforeAll(async () => {
    runtime = await startRuntime({ timeScale: 20, runSchedules: true });
    clients = awsClients({
      controlPlaneUrl: runtime.controlPlaneUrl,
      dynamoDbEndpoint: runtime.dynamoEndpoint,
    });
  });

  afterAll(async () => {
    await topics?.stop();
    clients?.destroy();
    await runtime?.stop();
  });

  it('keeps every invariant when the saga reads payments ahead of their reservations', async () => {
    // Prepare
    const system = await SystemMap.discover(clients, 'dev');
    topics = await TopicWatcher.start(
      await kafkaConfig(clients, system, 'chaos-e2e'),
      system.topics(),
      'e2e',
    );
    const lines: string[] = [];
    const scenario = SCENARIOS.filter((candidate) => candidate.name === 'mapping-pause');
    const signIn = signInFromRuntimeInfo(runtimeInfoOf(runtime));

    // Act
    const rows = await runScenarios(
      {
        clients,
        system,
        api: new ApiClient(
          runtime.apiUrl,
          new CognitoSignIn(clients.cognito, signIn.clientId, signIn.customers),
        ),
        params: { ...QUICK, orders: 4, seconds: { ...QUICK.seconds, mappingPause: 5 } },
        runId: 'e2e',
        localFaults: new LocalFaultEndpoint(runtime.controlPlaneUrl),
        topics,
        log: (line) => lines.push(line),
        track: () => () => {},
      },
      scenario,
    );

    // Assess
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row?.error).toBeUndefined();
    expect(row?.verdict).toMatchObject({ orders: 4, terminal: 4, lostEvents: 0, findings: [] });
    expect(row?.drainSeconds).toBeDefined();
    expect(failed(row as NonNullable<typeof row>)).toBe(false);
    // The runtime's only orders belong to the signed-in demo customers, two each.
    const snapshot = await takeSnapshot(clients, system);
    const owners = snapshot.orders.map((order) => order.customerId).sort();
    const [alice, bob] = [subOf(runtime, ALICE), subOf(runtime, BOB)];
    expect(owners).toEqual([alice, alice, bob, bob].sort());
    // Stock is read where the inventory service keeps it, and was there to order from.
    expect(snapshot.stock.size).toBeGreaterThan(0);
    expect(lines.join('\n')).toMatch(/fault removed: order-saga-orders-inventory.events paused/);
    expect(
      system.kafkaMappings.find(
        (m) => m.topic === 'inventory.events' && m.consumerGroupId.includes('orders'),
      ),
    ).toBeDefined();
  });
});
