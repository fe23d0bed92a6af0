import { PermanentError, RetryableError } from '../errors';

/** A message for the event bus. Value is the serialized envelope; key is the aggregate id. */
export interface OutboundMessage {
  topic: string;
  key: string;
  value: string;
  headers: Record<string, string>;
}

export interface SendOptions {
  /**
   * Epoch milliseconds after which the send gives up (`PublishDeadlineError`) instead of waiting for
   * the bus any longer; whatever the bus acknowledges later counts as not sent.
   */
  deadline?: number;
}

/**
 * The port through which the outbox publishes. `send` resolves only when every message is durably
 * acknowledged (all in-sync replicas), and preserves the order of messages that share a key.
 */
export interface EventProducer {
  send(messages: readonly OutboundMessage[], options?: SendOptions): Promise<void>;
  disconnect(): Promise<void>;
}

/** The event bus did not acknowledge messages (or could not be reached); they stay unpublished. */
export class PublishError extends RetryableError {
  readonly code = 'PUBLISH_FAILED';
}

/** The caller's time budget ran out before the bus acknowledged; the messages stay unpublished. */
export class PublishDeadlineError extends RetryableError {
  readonly code = 'PUBLISH_DEADLINE';
}

/**
 * The bus rejected a message itself (too large, invalid, corrupt): sending it again cannot succeed.
 * `reason` names the broker's error, e.g. `KAFKA_MESSAGE_TOO_LARGE`.
 */
export class MessageRejectedError extends PermanentError {
  readonly code = 'MESSAGE_REJECTED';
  constructor(
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
