import { ensureKafkaMockBinary } from '../kafka-mock/build';
import { KafkaMockCommandError } from './errors';
import { EngineProcess } from './process';

const ENGINE = 'kafka-mock';
const STARTUP_TIMEOUT_MS = 10_000;
const COMMAND_TIMEOUT_MS = 5_000;
const MAX_BROKERS = 64;
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

export interface KafkaMockTopic {
  name: string;
  partitions: number;
  /** Default: the number of brokers, at most 3. */
  replication?: number;
}

export interface KafkaMockOptions {
  /** Number of brokers, ids 1..n (default 3). */
  brokers?: number;
  /** Topics created before `start` resolves. */
  topics?: KafkaMockTopic[];
}

interface PendingCommand {
  command: string;
  resolve: () => void;
  reject: (error: KafkaMockCommandError) => void;
}

/**
 * A local Kafka cluster: the librdkafka mock cluster running in a small helper process
 * (`localstack/kafka-mock/kafka-mock.c`), controlled over its stdin.
 *
 * Limits of the mock: it has no CreateTopics API and reports controller id 0 while brokers are 1..n, so
 * kafkajs `admin.createTopics` and idempotent producers fail; create topics with {@link createTopic}
 * (or the `topics` option). A metadata request for a topic that does not exist creates it with 4
 * partitions, even when the client disallows auto-creation (kafkajs `allowAutoTopicCreation: false`), so
 * create topics before any client asks for them. The mock itself caps a replication factor above the
 * broker count; this wrapper rejects it, as Kafka would.
 *
 * ```ts
 * const kafka = await KafkaMock.start({ topics: [{ name: 'orders', partitions: 3 }] });
 * new Kafka({ brokers: kafka.brokers });
 * await kafka.stop();
 * ```
 */
export class KafkaMock {
  /** Comma-separated `host:port` list. */
  readonly bootstrapServers: string;
  /** The same addresses as an array, as kafkajs takes them. */
  readonly brokers: string[];
  readonly brokerIds: number[];

  private readonly process: EngineProcess;
  private queue: Promise<void> = Promise.resolve();
  private pending: PendingCommand | undefined;
  private failure: string | undefined;

  private constructor(engineProcess: EngineProcess, bootstrapServers: string, brokerCount: number) {
    this.process = engineProcess;
    this.bootstrapServers = bootstrapServers;
    this.brokers = bootstrapServers.split(',');
    this.brokerIds = Array.from({ length: brokerCount }, (_, index) => index + 1);
    engineProcess.onLine((line, stream) => {
      if (stream === 'stdout') this.onAnswer(line);
    });
    void engineProcess.exited.then((exit) => {
      this.failure = `the mock cluster exited (code ${exit.code}, signal ${exit.signal})`;
      this.pending?.reject(new KafkaMockCommandError(this.pending.command, this.failure));
      this.pending = undefined;
    });
  }

  /**
   * Compiles the helper if needed, starts the cluster and creates the requested topics.
   * @throws EngineUnavailableError when librdkafka-dev, pkg-config or gcc is missing.
   * @throws EngineStartError when the helper exits or does not report readiness within 10 s.
   */
  static async start(options: KafkaMockOptions = {}): Promise<KafkaMock> {
    const brokerCount = options.brokers ?? 3;
    if (!Number.isInteger(brokerCount) || brokerCount < 1 || brokerCount > MAX_BROKERS) {
      throw new RangeError(`brokers must be an integer from 1 to ${MAX_BROKERS}, got ${brokerCount}`);
    }
    const binary = await ensureKafkaMockBinary();
    const engineProcess = await EngineProcess.spawn({
      engine: ENGINE,
      command: binary,
      args: [String(brokerCount)],
      stdin: 'pipe',
    });
    let bootstrapServers: string | undefined;
    const unsubscribe = engineProcess.onLine((line, stream) => {
      if (stream === 'stdout' && line.startsWith('READY '))
        bootstrapServers = line.slice('READY '.length).trim();
    });
    try {
      await engineProcess.waitUntilReady(() => Promise.resolve(bootstrapServers !== undefined), {
        timeoutMs: STARTUP_TIMEOUT_MS,
        intervalMs: 10,
      });
    } catch (error) {
      await engineProcess.stop({ termMs: 2000 });
      throw error;
    } finally {
      unsubscribe();
    }
    if (!bootstrapServers) {
      await engineProcess.stop({ termMs: 2000 });
      throw engineProcess.startError('it reported no bootstrap servers');
    }

    const mock = new KafkaMock(engineProcess, bootstrapServers, brokerCount);
    try {
      for (const topic of options.topics ?? []) {
        await mock.createTopic(topic.name, topic.partitions, topic.replication);
      }
    } catch (error) {
      await mock.stop();
      throw error;
    }
    return mock;
  }

  /** Process id of the helper, while it runs. */
  get pid(): number | undefined {
    return this.process.pid;
  }

  /**
   * Creates a topic. Fails with {@link KafkaMockCommandError} if it exists already (including a topic
   * the mock auto-created on a client's metadata request).
   */
  createTopic(
    name: string,
    partitions: number,
    replication: number = Math.min(3, this.brokerIds.length),
  ): Promise<void> {
    const command = `topic ${name} ${partitions} ${replication}`;
    if (!TOPIC_NAME.test(name)) {
      return Promise.reject(
        new KafkaMockCommandError(command, 'invalid topic name (allowed: [a-zA-Z0-9._-]{1,249})'),
      );
    }
    if (
      !Number.isInteger(partitions) ||
      partitions < 1 ||
      !Number.isInteger(replication) ||
      replication < 1
    ) {
      return Promise.reject(
        new KafkaMockCommandError(command, 'partitions and replication must be positive integers'),
      );
    }
    if (replication > this.brokerIds.length) {
      return Promise.reject(
        new KafkaMockCommandError(
          command,
          `replication ${replication} exceeds the ${this.brokerIds.length} brokers`,
        ),
      );
    }
    return this.send(command);
  }

  /** Closes the broker's connections and refuses new ones; partition leadership does not move. */
  async brokerDown(id: number): Promise<void> {
    await this.send(this.brokerCommand('down', id));
  }

  /** Lets the broker accept connections again. */
  async brokerUp(id: number): Promise<void> {
    await this.send(this.brokerCommand('up', id));
  }

  async allBrokersDown(): Promise<void> {
    for (const id of this.brokerIds) await this.brokerDown(id);
  }

  async allBrokersUp(): Promise<void> {
    for (const id of this.brokerIds) await this.brokerUp(id);
  }

  /** Stops the cluster and resolves once the helper process has exited. Safe to call more than once. */
  stop(): Promise<void> {
    // End of input makes the helper destroy the cluster and exit 0.
    return this.process.stop({ graceful: () => this.process.endInput(), graceMs: 3000, termMs: 3000 });
  }

  private brokerCommand(verb: 'down' | 'up', id: number): string {
    const command = `${verb} ${id}`;
    if (!this.brokerIds.includes(id)) {
      throw new KafkaMockCommandError(command, `unknown broker id; brokers are ${this.brokerIds.join(', ')}`);
    }
    return command;
  }

  /** Sends one command once the previous one has been answered. */
  private send(command: string): Promise<void> {
    const result = this.queue.then(() => this.exchange(command));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private exchange(command: string): Promise<void> {
    if (this.failure) return Promise.reject(new KafkaMockCommandError(command, this.failure));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        // A late answer would be taken for the next command's; refuse further commands instead.
        this.failure = `no answer to "${command}" within ${COMMAND_TIMEOUT_MS} ms`;
        reject(new KafkaMockCommandError(command, this.failure));
      }, COMMAND_TIMEOUT_MS);
      this.pending = {
        command,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      try {
        this.process.writeLine(command);
      } catch (error) {
        this.pending = undefined;
        clearTimeout(timer);
        reject(new KafkaMockCommandError(command, 'could not write to the mock cluster', { cause: error }));
      }
    });
  }

  private onAnswer(line: string): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    if (line === `OK ${pending.command}`) {
      pending.resolve();
    } else if (line.startsWith('ERR ')) {
      pending.reject(new KafkaMockCommandError(pending.command, line.slice('ERR '.length)));
    } else {
      this.failure = `unexpected answer "${line}"`;
      pending.reject(new KafkaMockCommandError(pending.command, this.failure));
    }
  }
}
