import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { DomainEvent } from '#events';
import { failedConditionAt } from '#platform/dynamo';
import { outboxPut } from '#platform/outbox/row';
import { type FinalOutcome, settlementEvent } from './domain/settlement';
import { PaymentNotFoundError, PaymentWriteError } from './errors';
import { type PaymentItem, type PaymentStatus, paymentKey } from './model';

/** What the payment records when it starts awaiting its status. */
export interface HandOver {
  attempts: number;
  deadline: string;
  lastError: string;
  pspReference?: string | undefined;
}

/**
 * The `payments` table: one item per payment and the outbox rows of the payment events. Every state
 * change is conditioned on the status it was decided on, and every change that emits an event writes
 * its outbox row in the same transaction, so concurrent runs and redeliveries settle a payment once.
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
   * Hands an AUTHORIZING payment to status checks: AWAITING_STATUS with its deadline, and the
   * PaymentPending event, in one transaction. False when the payment had moved on.
   */
  async handOver(paymentId: string, change: HandOver, pending: DomainEvent, now: Date): Promise<boolean> {
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: paymentKey(paymentId),
                UpdateExpression: `SET #status = :awaiting, attempts = :attempts, deadline = :deadline, lastError = :lastError, updatedAt = :now${change.pspReference ? ', pspReference = :pspReference' : ''}`,
                ConditionExpression: '#status = :authorizing',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: {
                  ':awaiting': 'AWAITING_STATUS',
                  ':authorizing': 'AUTHORIZING',
                  ':attempts': change.attempts,
                  ':deadline': change.deadline,
                  ':lastError': change.lastError.slice(0, 1024),
                  ':now': now.toISOString(),
                  ...(change.pspReference ? { ':pspReference': change.pspReference } : {}),
                },
              },
            },
            outboxPut(this.tableName, pending),
          ],
        }),
      );
      return true;
    } catch (error) {
      if (failedConditionAt(error, 0)) return false;
      throw new PaymentWriteError(`Payment ${paymentId} could not be handed to status checks`, {
        cause: error,
      });
    }
  }

  /**
   * Settles in one transaction: the payment moves from `from` to the final status (condition
   * `#status = :from`) and the PaymentSucceeded/PaymentFailed outbox row is written. Returns false when
   * the payment was no longer in `from` (settled or moved on by another run).
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
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: paymentKey(payment.paymentId),
                UpdateExpression: `SET #status = :final, attempts = :attempts, statusChecks = :checks, settledAt = :now, updatedAt = :now${
                  outcome.status === 'FAILED' ? ', failureReason = :reason' : ''
                }${pspReference ? ', pspReference = :pspReference' : ''}`,
                ConditionExpression: '#status = :from',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: {
                  ':final': outcome.status,
                  ':from': from,
                  ':attempts': attempts,
                  ':checks': counts.statusChecks,
                  ':now': now.toISOString(),
                  ...(outcome.status === 'FAILED' ? { ':reason': outcome.reason } : {}),
                  ...(pspReference ? { ':pspReference': pspReference } : {}),
                },
              },
            },
            outboxPut(this.tableName, settlementEvent(payment, outcome, attempts, now)),
          ],
        }),
      );
      return true;
    } catch (error) {
      if (failedConditionAt(error, 0)) return false;
      throw new PaymentWriteError(`Payment ${payment.paymentId} could not be settled`, { cause: error });
    }
  }

  /** Counts one status check of an awaiting payment (nothing when it settled meanwhile). */
  async countCheck(paymentId: string, now: Date): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: paymentKey(paymentId),
          UpdateExpression: 'ADD statusChecks :one SET updatedAt = :now',
          ConditionExpression: '#status = :awaiting',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':one': 1, ':awaiting': 'AWAITING_STATUS', ':now': now.toISOString() },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
