import { RetryableError } from '../errors';

/** A message for the event bus. Value is the serialized envelope; key is the aggregate id. */
export interface OutboundMessage {
  topic: string;
  key: string;
  value: string;
  headers: Record<string, string>;
}

/**
 * The port through which the outbox publishes. `send` resolves only when every message is durably
 * acknowledged (all in-sync replicas), and preserves the order of messages that share a key.
 */
export interface EventProducer {
  send(messages: readonly OutboundMessage[]): Promise<void>;
  disconnect(): Promise<void>;
}

/** The event bus did not acknowledge messages (or could not be reached); they stay unpublished. */
export class PublishError extends RetryableError {
  readonly code = 'PUBLISH_FAILED';
}
