import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, type DynamoDBClientConfig, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { EngineUnavailableError } from './errors';
import { getFreePort } from './ports';
import { EngineProcess } from './process';

const ENGINE = 'DynamoDB Local';
const JAVA_INSTALL_HINT =
  'install a Java 17+ runtime, e.g. `apt-get install -y openjdk-17-jre-headless`, and make sure `java` is on PATH';
const STARTUP_TIMEOUT_MS = 30_000;
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface DynamoDbLocalOptions {
  /** Port to listen on (127.0.0.1); a free one when omitted. */
  port?: number;
  /** Keep data in memory only (default true); otherwise it is stored in `dbPath`. */
  inMemory?: boolean;
  /** Directory for the database file when not in memory; default `.local/dynamodb` under the repository root. */
  dbPath?: string;
  /** One database for all credentials and regions (default true). */
  sharedDb?: boolean;
}

/** Client configuration for a DynamoDB Local endpoint: region `us-east-1`, dummy credentials. */
export const localDynamoClientConfig = (endpoint: string): DynamoDBClientConfig => ({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

/** The DynamoDB Local directory shipped in `amplify-dynamodb-simulator` (jar and native libraries). */
const emulatorDir = (): string => {
  let packageJson: string;
  try {
    packageJson = createRequire(import.meta.url).resolve('amplify-dynamodb-simulator/package.json');
  } catch (error) {
    throw new EngineUnavailableError(
      ENGINE,
      'the package amplify-dynamodb-simulator (which ships DynamoDBLocal.jar) is not installed; run `npm ci`',
      { cause: error },
    );
  }
  const dir = join(dirname(packageJson), 'emulator');
  if (!existsSync(join(dir, 'DynamoDBLocal.jar'))) {
    throw new EngineUnavailableError(ENGINE, `DynamoDBLocal.jar not found in ${dir}; reinstall dependencies`);
  }
  return dir;
};

const assertJavaAvailable = (): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    execFile('java', ['-version'], { timeout: 15_000 }, (error) => {
      if (!error) {
        resolve();
        return;
      }
      const reason =
        (error as NodeJS.ErrnoException).code === 'ENOENT' ? '`java` was not found' : error.message;
      reject(new EngineUnavailableError(ENGINE, `${reason}; ${JAVA_INSTALL_HINT}`, { cause: error }));
    });
  });

/**
 * DynamoDB Local (the AWS jar) running as a child process on 127.0.0.1.
 *
 * ```ts
 * const ddb = await DynamoDbLocal.start();
 * const client = new DynamoDBClient(localDynamoClientConfig(ddb.endpoint));
 * // ...
 * await ddb.stop();
 * ```
 */
export class DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  private readonly process: EngineProcess;

  private constructor(port: number, engineProcess: EngineProcess) {
    this.port = port;
    this.endpoint = `http://127.0.0.1:${port}`;
    this.process = engineProcess;
  }

  /**
   * Starts DynamoDB Local and resolves once it answers `ListTables`.
   * @throws EngineUnavailableError when Java or the jar is missing.
   * @throws EngineStartError when the process exits or is not ready within 30 s.
   */
  static async start(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
    const { inMemory = true, sharedDb = true } = options;
    const dir = emulatorDir();
    await assertJavaAvailable();
    const port = options.port ?? (await getFreePort());

    const args = [
      `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(dir, 'DynamoDBLocal.jar'),
    ];
    if (inMemory) {
      args.push('-inMemory');
    } else {
      const dbPath = options.dbPath ?? join(REPO_ROOT, '.local', 'dynamodb');
      mkdirSync(dbPath, { recursive: true });
      args.push('-dbPath', dbPath);
    }
    if (sharedDb) args.push('-sharedDb');
    args.push('-disableTelemetry', '-port', String(port));

    const engineProcess = await EngineProcess.spawn({ engine: ENGINE, command: 'java', args });
    const instance = new DynamoDbLocal(port, engineProcess);
    const client = new DynamoDBClient({ ...localDynamoClientConfig(instance.endpoint), maxAttempts: 1 });
    try {
      await engineProcess.waitUntilReady(
        async () => {
          await client.send(new ListTablesCommand({ Limit: 1 }));
          return true;
        },
        { timeoutMs: STARTUP_TIMEOUT_MS, intervalMs: 100 },
      );
    } catch (error) {
      await engineProcess.stop({ termMs: 2000 });
      throw error;
    } finally {
      client.destroy();
    }
    return instance;
  }

  /** Process id of the JVM, while it runs. */
  get pid(): number | undefined {
    return this.process.pid;
  }

  /** Stops the JVM and resolves once it has exited. Data of an in-memory instance is gone. */
  stop(): Promise<void> {
    return this.process.stop({ termMs: 5000 });
  }
}
