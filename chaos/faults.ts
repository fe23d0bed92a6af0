import {
  CreateEventSourceMappingCommand,
  DeleteEventSourceMappingCommand,
  GetEventSourceMappingCommand,
  GetFunctionConfigurationCommand,
  ResourceConflictException,
  UpdateEventSourceMappingCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import type { AwsClients } from './aws';
import { ChaosError } from './errors';
import type { KafkaMappingInfo, SystemFunction } from './system';
import { poll } from './wait';

/** Undoes one fault. */
type Undo = () => Promise<void>;

/**
 * The faults in effect, each with its undo, removed in reverse order: at the end of every scenario,
 * when a scenario fails, and on Ctrl-C. A fault that cannot be undone is reported, and the others are
 * still undone.
 */
export class FaultLedger {
  private readonly undos: { label: string; undo: Undo }[] = [];

  constructor(private readonly log: (line: string) => void) {}

  get active(): string[] {
    return this.undos.map(({ label }) => label);
  }

  /** Injects a fault; its undo runs at `clear()` (or earlier through the returned function). */
  async inject(label: string, apply: () => Promise<Undo>): Promise<() => Promise<void>> {
    this.log(`  fault: ${label}`);
    const undo = await apply();
    const entry = { label, undo };
    this.undos.push(entry);
    return async () => {
      const index = this.undos.indexOf(entry);
      if (index < 0) return;
      this.undos.splice(index, 1);
      this.log(`  fault removed: ${label}`);
      await undo();
    };
  }

  /** Undoes every fault still in effect, newest first; throws after trying all when some failed. */
  async clear(): Promise<void> {
    const failures: unknown[] = [];
    for (const { label, undo } of this.undos.splice(0).reverse()) {
      try {
        this.log(`  fault removed: ${label}`);
        await undo();
      } catch (error) {
        failures.push(new ChaosError(`Could not undo "${label}"`, { cause: error }));
      }
    }
    if (failures.length > 0)
      throw new ChaosError(`${failures.length} fault(s) could not be undone`, {
        cause: failures.length === 1 ? failures[0] : new AggregateError(failures),
      });
  }
}

/** Waits until a configuration update has been applied (Lambda applies them asynchronously). */
async function functionUpdated(clients: AwsClients, name: string): Promise<void> {
  await poll(
    async () => {
      const configuration = await clients.lambda.send(
        new GetFunctionConfigurationCommand({ FunctionName: name }),
      );
      if (configuration.LastUpdateStatus === 'Failed')
        throw new ChaosError(
          `The configuration update of ${name} failed: ${configuration.LastUpdateStatusReason}`,
        );
      return configuration.LastUpdateStatus !== 'InProgress';
    },
    { timeoutMs: 120_000, intervalMs: 1_000, description: `the configuration update of ${name}` },
  );
}

/** UpdateFunctionConfiguration of the environment, retried while an earlier update is still applied. */
async function putVariables(clients: AwsClients, name: string, variables: Record<string, string>) {
  await poll(
    async () => {
      try {
        await clients.lambda.send(
          new UpdateFunctionConfigurationCommand({
            FunctionName: name,
            Environment: { Variables: variables },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ResourceConflictException) return false;
        throw error;
      }
    },
    { timeoutMs: 120_000, intervalMs: 2_000, description: `updating the environment of ${name}` },
  );
  await functionUpdated(clients, name);
}

/**
 * A function environment fault (`UpdateFunctionConfiguration`): the variables are changed, and their
 * values from before are put back on undo.
 */
export function environmentFault(
  clients: AwsClients,
  fn: SystemFunction,
  changes: Record<string, string>,
): () => Promise<Undo> {
  return async () => {
    const before = await clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: fn.name }));
    const original = { ...(before.Environment?.Variables ?? {}) };
    await putVariables(clients, fn.name, { ...original, ...changes });
    return () => putVariables(clients, fn.name, original);
  };
}

async function mappingState(clients: AwsClients, uuid: string): Promise<string | undefined> {
  try {
    return (await clients.lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State;
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

/** Waits for a mapping to reach a state (`undefined`: deleted). */
export async function mappingReaches(
  clients: AwsClients,
  uuid: string,
  state: string | undefined,
  timeoutMs = 300_000,
): Promise<void> {
  await poll(async () => (await mappingState(clients, uuid)) === state, {
    timeoutMs,
    intervalMs: 1_000,
    description: `event source mapping ${uuid} ${state ?? 'deleted'}`,
  });
}

async function setMappingEnabled(clients: AwsClients, uuid: string, enabled: boolean): Promise<void> {
  await poll(
    async () => {
      try {
        await clients.lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: enabled }));
        return true;
      } catch (error) {
        // Lambda refuses an update while the mapping is still changing state.
        if (error instanceof ResourceConflictException) return false;
        throw error;
      }
    },
    { timeoutMs: 120_000, intervalMs: 2_000, description: `updating mapping ${uuid}` },
  );
  await mappingReaches(clients, uuid, enabled ? 'Enabled' : 'Disabled');
}

/** A paused event source mapping (`UpdateEventSourceMapping Enabled=false`), enabled again on undo. */
export function mappingPause(clients: AwsClients, mapping: KafkaMappingInfo): () => Promise<Undo> {
  return async () => {
    await setMappingEnabled(clients, mapping.uuid, false);
    return () => setMappingEnabled(clients, mapping.uuid, true);
  };
}

/**
 * A replay of a consumer's topic from the start: a second MSK mapping of the same function and topic,
 * with the mapping's settings, a new consumer group (`<group>-replay-<id>`, which the consumer's role
 * may read) and `TRIM_HORIZON`, so every record is delivered again. Undo deletes it.
 */
export function replayMapping(
  clients: AwsClients,
  mapping: KafkaMappingInfo,
  replayId: string,
  onCreated: (created: { uuid: string; consumerGroupId: string }) => void,
): () => Promise<Undo> {
  return async () => {
    const source = mapping.configuration;
    const consumerGroupId = `${mapping.consumerGroupId}-replay-${replayId}`.slice(0, 200);
    const created = await clients.lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: mapping.functionArn,
        EventSourceArn: source.EventSourceArn,
        Topics: [mapping.topic],
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: source.BatchSize,
        MaximumBatchingWindowInSeconds: source.MaximumBatchingWindowInSeconds,
        AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: consumerGroupId },
        ...(source.MaximumRetryAttempts === undefined
          ? {}
          : { MaximumRetryAttempts: source.MaximumRetryAttempts }),
        ...(source.BisectBatchOnFunctionError === undefined
          ? {}
          : { BisectBatchOnFunctionError: source.BisectBatchOnFunctionError }),
        ...(source.FunctionResponseTypes?.length
          ? { FunctionResponseTypes: source.FunctionResponseTypes }
          : {}),
        ...(source.DestinationConfig ? { DestinationConfig: source.DestinationConfig } : {}),
        ...(source.ProvisionedPollerConfig
          ? { ProvisionedPollerConfig: source.ProvisionedPollerConfig }
          : {}),
      }),
    );
    const uuid = created.UUID as string;
    const remove = async () => {
      await clients.lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid }));
      await mappingReaches(clients, uuid, undefined);
    };
    try {
      await mappingReaches(clients, uuid, 'Enabled');
    } catch (error) {
      await remove().catch(() => {});
      throw error;
    }
    onCreated({ uuid, consumerGroupId });
    return remove;
  };
}

/** The local runtime's fault endpoint (`/_local/faults`): faults AWS has no API for. */
export class LocalFaultEndpoint {
  constructor(private readonly controlPlaneUrl: string) {}

  /** Starts a fault; `durationSeconds` bounds it even if the tool dies. Undo deletes it. */
  fault(type: string, body: Record<string, unknown>): () => Promise<Undo> {
    return async () => {
      const response = await fetch(`${this.controlPlaneUrl}/_local/faults/${type}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      if (response.status !== 201)
        throw new ChaosError(`POST /_local/faults/${type}: ${response.status} ${text}`);
      const { id } = JSON.parse(text) as { id: string };
      return async () => {
        const deleted = await fetch(`${this.controlPlaneUrl}/_local/faults/${id}`, { method: 'DELETE' });
        // 404: the fault already ended by itself (durationSeconds).
        if (deleted.status !== 204 && deleted.status !== 404)
          throw new ChaosError(`DELETE /_local/faults/${id}: ${deleted.status} ${await deleted.text()}`);
      };
    };
  }

  /** Whether the endpoint answers (a local runtime's control plane). */
  async available(): Promise<boolean> {
    try {
      return (await fetch(`${this.controlPlaneUrl}/_local/faults`)).ok;
    } catch {
      return false;
    }
  }
}
