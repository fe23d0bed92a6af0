import { execFile } from 'node:child_process';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineUnavailableError } from '../engines/errors';

const ENGINE = 'kafka-mock';
const HERE = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(HERE, '../..');

/** The C source of the mock cluster helper. */
export const KAFKA_MOCK_SOURCE = join(HERE, 'kafka-mock.c');
/** Where the compiled helper is written (`.local/` is not versioned). */
export const KAFKA_MOCK_BINARY = join(REPO_ROOT, '.local', 'bin', 'kafka-mock');

interface RunResult {
  stdout: string;
  stderr: string;
}

class CommandFailedError extends Error {
  override readonly name = 'CommandFailedError';
  readonly code: string | number | undefined;
  readonly stderr: string;

  constructor(
    command: string,
    stderr: string,
    options: ErrorOptions & { code: string | number | undefined },
  ) {
    super(`\`${command}\` failed${stderr ? `: ${stderr.trim()}` : ''}`, options);
    this.code = options.code;
    this.stderr = stderr;
  }
}

const run = (file: string, args: readonly string[]): Promise<RunResult> =>
  new Promise<RunResult>((resolvePromise, reject) => {
    execFile(file, args, { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) {
        reject(
          new CommandFailedError([file, ...args].join(' '), stderr, {
            cause: error,
            code: error.code ?? undefined,
          }),
        );
        return;
      }
      resolvePromise({ stdout, stderr });
    });
  });

const mtimeMs = async (path: string): Promise<number | undefined> => {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return undefined;
  }
};

const rdkafkaFlags = async (): Promise<string[]> => {
  try {
    await run('pkg-config', ['--exists', 'rdkafka']);
    const { stdout } = await run('pkg-config', ['--cflags', '--libs', 'rdkafka']);
    return stdout.split(/\s+/).filter((flag) => flag.length > 0);
  } catch (error) {
    throw new EngineUnavailableError(
      ENGINE,
      'librdkafka development files were not found by pkg-config; ' +
        'install them with `apt-get install -y librdkafka-dev pkg-config`',
      { cause: error },
    );
  }
};

let pending: Promise<string> | undefined;

/**
 * Returns the path of the compiled mock cluster helper, compiling `kafka-mock.c` with gcc when the
 * binary is missing or older than the source.
 * @throws EngineUnavailableError when librdkafka-dev, pkg-config or gcc is missing, or compilation fails.
 */
export const ensureKafkaMockBinary = (): Promise<string> => {
  pending ??= build().finally(() => {
    pending = undefined;
  });
  return pending;
};

const build = async (): Promise<string> => {
  const sourceTime = await mtimeMs(KAFKA_MOCK_SOURCE);
  if (sourceTime === undefined) {
    throw new EngineUnavailableError(ENGINE, `source file ${KAFKA_MOCK_SOURCE} is missing`);
  }
  const binaryTime = await mtimeMs(KAFKA_MOCK_BINARY);
  if (binaryTime !== undefined && binaryTime >= sourceTime) return KAFKA_MOCK_BINARY;

  const flags = await rdkafkaFlags();
  await mkdir(dirname(KAFKA_MOCK_BINARY), { recursive: true });
  // Compile to a unique name and rename, so concurrent builds (parallel test workers) never expose a partial file.
  const temporary = `${KAFKA_MOCK_BINARY}.${process.pid}.${Date.now()}.tmp`;
  try {
    await run('gcc', ['-O2', '-o', temporary, KAFKA_MOCK_SOURCE, ...flags]);
    await rename(temporary, KAFKA_MOCK_BINARY);
  } catch (error) {
    await rm(temporary, { force: true });
    const reason =
      error instanceof CommandFailedError && error.code === 'ENOENT'
        ? '`gcc` was not found; install it with `apt-get install -y gcc`'
        : `compiling ${KAFKA_MOCK_SOURCE} failed: ${error instanceof Error ? error.message : String(error)}`;
    throw new EngineUnavailableError(ENGINE, reason, { cause: error });
  }
  return KAFKA_MOCK_BINARY;
};
