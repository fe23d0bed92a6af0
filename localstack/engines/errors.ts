/**
 * Errors raised by the local engines (DynamoDB Local, the librdkafka mock Kafka cluster).
 */

/** A prerequisite of an engine (a JDK, librdkafka headers, a compiler) is missing on this machine. */
export class EngineUnavailableError extends Error {
  override readonly name = 'EngineUnavailableError';
  readonly engine: string;

  constructor(engine: string, message: string, options?: ErrorOptions) {
    super(`${engine} is unavailable: ${message}`, options);
    this.engine = engine;
  }
}

/** An engine process failed to start or did not become ready in time; the message ends with its last output. */
export class EngineStartError extends Error {
  override readonly name = 'EngineStartError';
  readonly engine: string;
  readonly output: readonly string[];

  constructor(engine: string, message: string, output: readonly string[], options?: ErrorOptions) {
    super(
      output.length > 0
        ? `${engine} failed to start: ${message}\n--- last output ---\n${output.join('\n')}`
        : `${engine} failed to start: ${message} (no output)`,
      options,
    );
    this.engine = engine;
    this.output = output;
  }
}

/** The mock Kafka cluster rejected a command (`ERR <reason>`), did not answer in time, or is gone. */
export class KafkaMockCommandError extends Error {
  override readonly name = 'KafkaMockCommandError';
  readonly command: string;

  constructor(command: string, reason: string, options?: ErrorOptions) {
    super(`kafka-mock command "${command}" failed: ${reason}`, options);
    this.command = command;
  }
}
