import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { DomainEvent, PaymentFailureReason, PaymentReversalReason } from '#events';
import { type ItemUpdate, outboxUpdate } from '#platform/outbox/row';
import { type FinalOutcome, type Release, settlementEvent } from './domain/settlement';
import { PaymentNotFoundError, PaymentWriteError } from './errors';
import {
  type OpenPaymentStatus,
  type PaymentItem,
  type PaymentStatus,
  paymentKey,
  RECONCILE_INDEX,
  RECONCILE_SHARDS,
  reconcileShardOf,
} from './model';

/** What the payment records when it starts awaiting its status. */
export interface HandOver {
  attempts: number;
  deadline: string;
  lastError: string;
  pspReference?: string | undefined;
}

/** What the reconcile index holds of a payment. */
export type DuePayment = Pick<PaymentItem, 'pk' | 'sk' | 'paymentId' | 'reconcileShard' | 'reconcileAt'>;

/**
 * The `payments` table: one item per payment. Every state change is one update conditioned on the
 * status it was decided on that carries the events it emits (the item's outbox attribute, see
 * `outboxUpdate`), so concurrent runs and redeliveries change a payment once.
 *
 * A payment with work left (open, or a release owed at the PSP) carries `reconcileShard` and
 * `reconcileAt`, which put it in the sparse `reconcile` index the reconciler reads; every change that
 * finishes the work removes `reconcileShard`.
 */
export class PaymentStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  async get(paymentId: string): Promise<PaymentItem | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: paymentKey(paymentId), ConsistentRead: true }),
    );
    return Item as PaymentItem | undefined;
  }

  async mustGet(paymentId: string): Promise<PaymentItem> {
    const payment = await this.get(paymentId);
    if (!payment) throw new PaymentNotFoundError(`Payment ${paymentId} does not exist`);
    return payment;
  }

  /** Creates the payment unless it exists; returns the stored payment either way. */
  async createOrGet(item: PaymentItem): Promise<{ created: boolean; payment: PaymentItem }> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { created: true, payment: item };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = await this.get(item.paymentId);
      if (!existing) {
        throw new PaymentWriteError(`Payment ${item.paymentId} exists but cannot be read`, { cause: error });
      }
      return { created: false, payment: existing };
    }
  }

  /**
   * Hands an AUTHORIZING payment to status checks: AWAITING_STATUS with its deadline (also when the
   * reconciler takes it on), carrying the PaymentPending event, in one update. False when the payment
   * had moved on.
   */
  async handOver(paymentId: string, change: HandOver, pending: DomainEvent, now: Date): Promise<boolean> {
    return this.transact(
      paymentId,
      {
        UpdateExpression: `SET #status = :awaiting, attempts = :attempts, deadline = :deadline, lastError = :lastError, updatedAt = :now, reconcileShard = :shard, reconcileAt = :deadline${change.pspReference ? ', pspReference = :pspReference' : ''}`,
        ConditionExpression: '#status = :authorizing',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':awaiting': 'AWAITING_STATUS',
          ':authorizing': 'AUTHORIZING',
          ':attempts': change.attempts,
          ':deadline': change.deadline,
          ':lastError': change.lastError.slice(0, 1024),
          ':now': now.toISOString(),
          ':shard': reconcileShardOf(paymentId),
          ...(change.pspReference ? { ':pspReference': change.pspReference } : {}),
        },
      },
      [pending],
      'could not be handed to status checks',
    );
  }

  /**
   * Settles in one update: the payment moves from `from` to the final status (condition
   * `#status = :from`; for a success also that no reversal was requested, since such a payment is
   * refunded instead), carrying the PaymentSucceeded/PaymentFailed event. Returns false when
   * the condition failed (settled or moved on by another run, or a reversal was requested meanwhile).
   */
  async settle(
    payment: PaymentItem,
    from: PaymentStatus,
    outcome: FinalOutcome,
    counts: { attempts: number; statusChecks: number },
    now: Date,
  ): Promise<boolean> {
    const attempts = Math.max(1, counts.attempts);
    const pspReference = outcome.pspReference ?? payment.pspReference;
    const failed = outcome.status === 'FAILED';
    return this.transact(
      payment.paymentId,
      {
        UpdateExpression: `SET #status = :final, attempts = :attempts, statusChecks = :checks, settledAt = :now, updatedAt = :now${
          failed ? ', failureReason = :reason' : ''
        }${pspReference ? ', pspReference = :pspReference' : ''} REMOVE reconcileShard`,
        ConditionExpression: failed
          ? '#status = :from'
          : '#status = :from AND attribute_not_exists(reversalRequested)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':final': outcome.status,
          ':from': from,
          ':attempts': attempts,
          ':checks': counts.statusChecks,
          ':now': now.toISOString(),
          ...(failed ? { ':reason': outcome.reason } : {}),
          ...(pspReference ? { ':pspReference': pspReference } : {}),
        },
      },
      [settlementEvent(payment, outcome, attempts, now)],
      'could not be settled',
    );
  }

  /**
   * Records that the payment's money must be given back (`reversalRequested`, with the first reason
   * and cause), conditioned on the status it was read with, and puts it in the reconcile index: at its
   * deadline while it is AUTHORIZING (an authorization may be on its way to the PSP until then), at
   * once otherwise. Returns the payment afterwards, or undefined when its status changed meanwhile.
   */
  async requestReversal(
    payment: PaymentItem,
    reason: PaymentReversalReason,
    causationId: string,
    now: Date,
  ): Promise<PaymentItem | undefined> {
    const reconcileAt =
      payment.status === 'AUTHORIZING' && payment.deadline ? payment.deadline : now.toISOString();
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: paymentKey(payment.paymentId),
          ...outboxUpdate(
            {
              UpdateExpression:
                'SET reversalRequested = :true, reversalReason = if_not_exists(reversalReason, :reason), reversalCausationId = if_not_exists(reversalCausationId, :cause), reconcileShard = :shard, reconcileAt = :at, updatedAt = :now',
              ConditionExpression: '#status = :status',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':true': true,
                ':reason': reason,
                ':cause': causationId,
                ':shard': reconcileShardOf(payment.paymentId),
                ':at': reconcileAt,
                ':now': now.toISOString(),
                ':status': payment.status,
              },
            },
            [],
          ),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes as PaymentItem;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw new PaymentWriteError(`Payment ${payment.paymentId} could not record its reversal`, {
        cause: error,
      });
    }
  }

  /**
   * Records a release at the PSP (VOIDED or REFUNDED) with its events, in one update, from the
   * status it was decided on; the payment leaves the reconcile index. A payment that fails with the
   * release (see `releaseOf`) also gets its failure reason. False when the status changed meanwhile.
   */
  async release(
    payment: PaymentItem,
    release: Release,
    failureReason: PaymentFailureReason | undefined,
    events: DomainEvent[],
    now: Date,
  ): Promise<boolean> {
    const pspReference = release.pspReference ?? payment.pspReference;
    return this.transact(
      payment.paymentId,
      {
        UpdateExpression: `SET #status = :to, releasedAt = :now, settledAt = if_not_exists(settledAt, :now), updatedAt = :now${
          failureReason ? ', failureReason = :reason' : ''
        }${pspReference ? ', pspReference = :pspReference' : ''} REMOVE reconcileShard`,
        ConditionExpression: '#status = :from',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':to': release.to,
          ':from': payment.status,
          ':now': now.toISOString(),
          ...(failureReason ? { ':reason': failureReason } : {}),
          ...(pspReference ? { ':pspReference': pspReference } : {}),
        },
      },
      events,
      'could not record its release',
    );
  }

  /**
   * The deadline passed and the PSP could not be reached to release the payment: it fails now
   * (PaymentFailed DEADLINE_EXCEEDED, so the order stops waiting) and owes a release
   * (`reversalRequested`), which the reconciler carries out once the PSP answers. False when the
   * status changed meanwhile.
   */
  async failUnreleased(
    payment: PaymentItem,
    from: OpenPaymentStatus,
    detail: string,
    counts: { attempts: number; statusChecks: number },
    now: Date,
  ): Promise<boolean> {
    const attempts = Math.max(1, counts.attempts);
    const outcome: FinalOutcome = {
      status: 'FAILED',
      reason: 'DEADLINE_EXCEEDED',
      detail: detail.slice(0, 1024),
    };
    return this.transact(
      payment.paymentId,
      {
        UpdateExpression:
          'SET #status = :failed, failureReason = :reason, attempts = :attempts, statusChecks = :checks, settledAt = :now, updatedAt = :now, lastError = :detail, reversalRequested = :true, reversalReason = if_not_exists(reversalReason, :reversalReason), reconcileShard = :shard, reconcileAt = :now',
        ConditionExpression: '#status = :from',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':failed': 'FAILED',
          ':reason': 'DEADLINE_EXCEEDED',
          ':attempts': attempts,
          ':checks': counts.statusChecks,
          ':now': now.toISOString(),
          ':detail': detail.slice(0, 1024),
          ':true': true,
          ':reversalReason': 'DEADLINE_EXCEEDED',
          ':shard': reconcileShardOf(payment.paymentId),
          ':from': from,
        },
      },
      [settlementEvent(payment, outcome, attempts, now)],
      'could not be failed',
    );
  }

  /** A FAILED payment owed a release, but the PSP holds nothing for it: the work is done. */
  async releaseNotNeeded(payment: PaymentItem, now: Date): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: paymentKey(payment.paymentId),
          ...outboxUpdate(
            {
              UpdateExpression: 'SET updatedAt = :now REMOVE reconcileShard',
              ConditionExpression: '#status = :failed',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':failed': 'FAILED', ':now': now.toISOString() },
            },
            [],
          ),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw new PaymentWriteError(`Payment ${payment.paymentId} could not be closed`, { cause: error });
    }
  }

  /** Counts one status check of an awaiting payment (nothing when it settled meanwhile). */
  async countCheck(paymentId: string, now: Date): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: paymentKey(paymentId),
          ...outboxUpdate(
            {
              UpdateExpression: 'ADD statusChecks :one SET updatedAt = :now',
              ConditionExpression: '#status = :awaiting',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':one': 1,
                ':awaiting': 'AWAITING_STATUS',
                ':now': now.toISOString(),
              },
            },
            [],
          ),
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /**
   * Moves an awaiting payment's status workflow from run `run` to the next one (its execution ended
   * while the payment still waits). Returns the payment afterwards, or undefined when the payment is
   * no longer awaiting or another run moved it on first (read it again).
   */
  async nextWorkflowRun(paymentId: string, run: number, now: Date): Promise<PaymentItem | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: paymentKey(paymentId),
          ...outboxUpdate(
            {
              UpdateExpression: 'SET workflowRun = :next, updatedAt = :now',
              ConditionExpression:
                run <= 1
                  ? '#status = :awaiting AND (attribute_not_exists(workflowRun) OR workflowRun = :run)'
                  : '#status = :awaiting AND workflowRun = :run',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':next': run + 1,
                ':run': run,
                ':awaiting': 'AWAITING_STATUS',
                ':now': now.toISOString(),
              },
            },
            [],
          ),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes as PaymentItem;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw new PaymentWriteError(`Payment ${paymentId} could not move to its next workflow run`, {
        cause: error,
      });
    }
  }

  /**
   * Payments of the reconcile index due before `cutoff` (`reconcileAt < cutoff`), most overdue first,
   * at most `limit`. The index projects only the paymentId and is eventually consistent: read each
   * payment before acting on it.
   */
  async findDue(cutoff: Date, limit: number): Promise<DuePayment[]> {
    const perShard = await Promise.all(
      Array.from({ length: RECONCILE_SHARDS }, async (_, shard) => {
        const items: DuePayment[] = [];
        let startKey: Record<string, unknown> | undefined;
        do {
          const page = await this.client.send(
            new QueryCommand({
              TableName: this.tableName,
              IndexName: RECONCILE_INDEX,
              KeyConditionExpression: 'reconcileShard = :shard AND reconcileAt < :cutoff',
              ExpressionAttributeValues: { ':shard': String(shard), ':cutoff': cutoff.toISOString() },
              ExclusiveStartKey: startKey,
              Limit: limit,
            }),
          );
          items.push(...((page.Items ?? []) as DuePayment[]));
          startKey = page.LastEvaluatedKey;
        } while (startKey && items.length < limit);
        return items;
      }),
    );
    return perShard
      .flat()
      .sort((a, b) => (a.reconcileAt ?? '').localeCompare(b.reconcileAt ?? ''))
      .slice(0, limit);
  }

  /** One conditional update of the payment that carries its events (`outboxUpdate`). */
  private async transact(
    paymentId: string,
    update: ItemUpdate,
    events: DomainEvent[],
    what: string,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: paymentKey(paymentId),
          ...outboxUpdate(update, events),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw new PaymentWriteError(`Payment ${paymentId} ${what}`, { cause: error });
    }
  }
}
