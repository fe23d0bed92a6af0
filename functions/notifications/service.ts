import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { causedBy, createEvent, type DomainEvent } from '#events';
import { type CircuitBreaker, CircuitOpenError } from '#platform/circuit-breaker';
import { RetryableError } from '#platform/errors';
import { withOutbox } from '#platform/outbox/row';
import {
  addressFor,
  channelsFor,
  customerIdOf,
  NOTIFICATION_SOURCE,
  type NotificationItem,
  type NotificationStatus,
  notificationIdFor,
  notificationKey,
  type OrderOutcomeEvent,
  templateDataOf,
  templateOf,
} from './model';
import type { NotificationChannel, NotificationMessage, NotificationProvider } from './provider';
import { type RetryPolicy, type SendOutcome, sendWithRetries } from './retry';

/** A provider's circuit is open: the notification was not attempted and the event must be retried. */
export class NotificationDeferredError extends RetryableError {
  readonly code = 'NOTIFICATION_DEFERRED';
}

/** DynamoDB rejected a notification write for a reason that is not its condition. */
export class NotificationWriteError extends RetryableError {
  readonly code = 'NOTIFICATION_WRITE_FAILED';
}

export interface NotificationDeps {
  client: DynamoDBDocumentClient;
  notificationsTable: string;
  providers: { readonly [C in NotificationChannel]: NotificationProvider };
  /** One breaker per provider, kept for the life of the container. */
  breakers: { readonly [C in NotificationChannel]: CircuitBreaker };
  retry: RetryPolicy;
}

export type NotificationOutcome =
  | { notificationId: string; channel: NotificationChannel; status: NotificationStatus; attempts: number }
  /** Recorded before (a redelivery), or by a concurrent delivery of the same event. */
  | { notificationId: string; channel: NotificationChannel; status: 'ALREADY_DONE' }
  /** The provider's circuit is open; nothing was sent or written. */
  | { notificationId: string; channel: NotificationChannel; status: 'DEFERRED'; error: CircuitOpenError };

/**
 * Notifies the customer of an order outcome: ORDER_CONFIRMED by email, ORDER_CANCELLED by email and
 * SMS, and of its shipping: ORDER_SHIPPED (carrier and tracking number) and ORDER_DELIVERED by email
 * and SMS, on the channels the event's recipient accepts, at its addresses (placeholders for events
 * without them), one notification per channel with a deterministic id.
 *
 * Each notification is recorded exactly once: when its item exists nothing is sent; otherwise the
 * message goes out (retries and circuit breaker in `sendWithRetries`) and ONE conditional put
 * writes the notification item (`attribute_not_exists(pk)`) carrying the NotificationSent or
 * NotificationFailed event. A permanent failure or exhausted retries is recorded as FAILED, not thrown: the order's
 * outcome does not depend on its notifications. A crash between the provider call and the
 * put sends the message again on redelivery; the notificationId goes to the provider for it
 * to deduplicate.
 */
export class NotificationService {
  constructor(private readonly deps: NotificationDeps) {}

  /**
   * Handles every notification of the event. When a provider's circuit is open, the other
   * notifications are still handled and then `NotificationDeferredError` is thrown, so the event is
   * redelivered and only the deferred ones run again.
   */
  async notify(event: OrderOutcomeEvent, now: Date): Promise<NotificationOutcome[]> {
    const outcomes: NotificationOutcome[] = [];
    for (const channel of channelsFor(event)) {
      outcomes.push(await this.notifyOn(channel, event, now));
    }
    const deferred = outcomes.filter((outcome) => outcome.status === 'DEFERRED');
    const first = deferred[0];
    if (first) {
      throw new NotificationDeferredError(
        `Deferred ${deferred.map((outcome) => outcome.notificationId).join(', ')}: ${first.error.message}`,
        { cause: first.error },
      );
    }
    return outcomes;
  }

  private async notifyOn(
    channel: NotificationChannel,
    event: OrderOutcomeEvent,
    now: Date,
  ): Promise<NotificationOutcome> {
    const { orderId } = event.payload;
    const template = templateOf(event);
    const notificationId = notificationIdFor(orderId, template, channel);
    if (await this.exists(notificationId)) return { notificationId, channel, status: 'ALREADY_DONE' };

    const customerId = customerIdOf(event);
    const message: NotificationMessage = {
      notificationId,
      channel,
      to: addressFor(channel, event, customerId),
      template,
      orderId,
      data: templateDataOf(event, customerId),
    };
    const provider = this.deps.providers[channel];
    let outcome: SendOutcome;
    try {
      outcome = await sendWithRetries(provider, this.deps.breakers[channel], message, this.deps.retry);
    } catch (error) {
      if (error instanceof CircuitOpenError) return { notificationId, channel, status: 'DEFERRED', error };
      throw error;
    }

    const meta = { source: NOTIFICATION_SOURCE, ...causedBy(event, now) };
    const common = { orderId, notificationId, channel, template, attempts: outcome.attempts };
    const result: DomainEvent =
      outcome.kind === 'SENT'
        ? createEvent('NotificationSent', { ...common, provider: provider.name }, meta)
        : createEvent('NotificationFailed', { ...common, reason: outcome.reason }, meta);
    const item: NotificationItem = {
      ...notificationKey(notificationId),
      entity: 'NOTIFICATION',
      notificationId,
      orderId,
      channel,
      template,
      recipient: message.to,
      status: outcome.kind,
      attempts: outcome.attempts,
      provider: provider.name,
      ...(outcome.kind === 'SENT'
        ? { providerMessageId: outcome.providerMessageId }
        : { reason: outcome.reason }),
      causationId: event.eventId,
      correlationId: event.correlationId,
      resultEventId: result.eventId,
      createdAt: now.toISOString(),
    };
    try {
      await this.deps.client.send(
        new PutCommand({
          TableName: this.deps.notificationsTable,
          Item: withOutbox(item, [result]),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        return { notificationId, channel, status: 'ALREADY_DONE' };
      }
      throw new NotificationWriteError(`Notification ${notificationId} could not be recorded`, {
        cause: error,
      });
    }
    return { notificationId, channel, status: outcome.kind, attempts: outcome.attempts };
  }

  private async exists(notificationId: string): Promise<boolean> {
    const { Item } = await this.deps.client.send(
      new GetCommand({
        TableName: this.deps.notificationsTable,
        Key: notificationKey(notificationId),
        ConsistentRead: true,
        ProjectionExpression: 'pk',
      }),
    );
    return Item !== undefined;
  }
}
