import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  createEvent,
  type DomainEventOf,
  type PaymentFailureReason,
  type PaymentPendingReason,
} from '#events';
import { outboxPut } from '#platform/outbox/row';
import { splitBySeller } from './domain/split';
import { PaymentNotFoundError, PaymentWriteError } from './errors';
import {
  executionNameFor,
  PAYMENT_SOURCE,
  type PaymentItem,
  type PaymentStatus,
  type PaymentWorkflowInput,
  paymentIdFor,
  paymentKey,
} from './model';
import {
  type AuthorizationResult,
  type PaymentProvider,
  PspRejectedError,
  PspTransientError,
} from './provider';
import { authorizeWithRetries, type RetryPolicy } from './retry';
import type { WorkflowStarter } from './workflow';

export interface PaymentServiceDeps {
  client: DynamoDBDocumentClient;
  paymentsTable: string;
  provider: PaymentProvider;
  workflow: WorkflowStarter;
  retry: RetryPolicy;
  /** How long the status workflow may take before the payment fails. */
  deadlineSeconds: number;
  /** First wait of the status workflow. @default 2 */
  initialWaitSeconds?: number;
  /** Longest wait between two status checks. @default 30 */
  maxWaitSeconds?: number;
}

/** What became of a StockReserved event. */
export type AuthorizeOutcome =
  | { kind: 'SETTLED'; status: 'SUCCEEDED' | 'FAILED'; attempts: number; reason?: PaymentFailureReason }
  | { kind: 'AWAITING_STATUS'; attempts: number }
  | { kind: 'ALREADY_HANDLED'; status: PaymentStatus };

/** The status check task's answer to the workflow. */
export interface StatusCheckResult {
  settled: boolean;
  /** The deadline has passed (and the payment is not settled): the workflow fails the payment. */
  deadlinePassed: boolean;
  nextWaitSeconds: number;
  status: PaymentStatus;
}

type FinalOutcome =
  | { status: 'SUCCEEDED'; pspReference: string }
  | { status: 'FAILED'; reason: PaymentFailureReason; detail?: string; pspReference?: string };

function finalOutcomeOf(result: AuthorizationResult): FinalOutcome | undefined {
  switch (result.status) {
    case 'SUCCEEDED':
      return { status: 'SUCCEEDED', pspReference: result.pspReference };
    case 'DECLINED':
    case 'INSUFFICIENT_FUNDS':
      return { status: 'FAILED', reason: result.status, pspReference: result.pspReference };
    default:
      return undefined;
  }
}

const isFinalStatus = (status: PaymentStatus): status is 'SUCCEEDED' | 'FAILED' =>
  status === 'SUCCEEDED' || status === 'FAILED';

/**
 * Payments for reserved orders. Every final outcome is one transaction: the payment item moves from
 * the status it was read in (condition) to SUCCEEDED or FAILED together with its PaymentSucceeded or
 * PaymentFailed outbox row, so redeliveries and concurrent checks settle a payment exactly once.
 */
export class PaymentService {
  private readonly initialWaitSeconds: number;
  private readonly maxWaitSeconds: number;

  constructor(private readonly deps: PaymentServiceDeps) {
    this.initialWaitSeconds = deps.initialWaitSeconds ?? 2;
    this.maxWaitSeconds = deps.maxWaitSeconds ?? 30;
  }

  /**
   * Authorizes the payment of a reserved order: creates the payment item (`attribute_not_exists(pk)`),
   * calls the PSP with short retries and settles a final answer. Anything still open (PENDING, timeouts,
   * persistent 5xx) marks the payment AWAITING_STATUS and starts the status workflow. A redelivery
   * resumes where the previous run stopped and never settles twice.
   */
  async authorize(event: DomainEventOf<'StockReserved'>, now: Date): Promise<AuthorizeOutcome> {
    const { orderId, reservationId, lines, total, payment } = event.payload;
    const paymentId = paymentIdFor(orderId);
    const item: PaymentItem = {
      ...paymentKey(paymentId),
      entity: 'PAYMENT',
      paymentId,
      orderId,
      reservationId,
      status: 'AUTHORIZING',
      amount: { amountMinor: total.amountMinor, currency: total.currency },
      splits: splitBySeller(lines, total),
      token: payment.token,
      attempts: 0,
      statusChecks: 0,
      correlationId: event.correlationId,
      causationId: event.eventId,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    let current = item;
    try {
      await this.deps.client.send(
        new PutCommand({
          TableName: this.deps.paymentsTable,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = await this.read(paymentId);
      if (!existing)
        throw new PaymentWriteError(`Payment ${paymentId} exists but cannot be read`, { cause: error });
      if (existing.status !== 'AUTHORIZING') return this.resume(existing);
      current = existing;
    }

    let attempts = current.attempts;
    let open: { pspReference?: string; lastError: string; reason: PaymentPendingReason };
    try {
      const attempt = await authorizeWithRetries(
        this.deps.provider,
        { paymentId, amount: current.amount, token: current.token, splits: current.splits },
        this.deps.retry,
      );
      attempts += attempt.attempts;
      if (attempt.kind === 'result') {
        const outcome = finalOutcomeOf(attempt.result);
        if (outcome) return this.settleOrResume(current, 'AUTHORIZING', outcome, attempts, now);
        open = {
          pspReference: attempt.result.pspReference,
          lastError: 'PSP answered PENDING',
          reason: 'PSP_PENDING',
        };
      } else {
        const timedOut = (attempt.error.cause as { name?: string } | undefined)?.name === 'TimeoutError';
        open = { lastError: attempt.error.message, reason: timedOut ? 'PSP_TIMEOUT' : 'PSP_UNAVAILABLE' };
      }
    } catch (error) {
      if (!(error instanceof PspRejectedError)) throw error;
      const outcome: FinalOutcome = {
        status: 'FAILED',
        reason: 'PSP_ERROR',
        detail: error.message.slice(0, 1024),
      };
      return this.settleOrResume(current, 'AUTHORIZING', outcome, attempts + 1, now);
    }

    const deadline = new Date(now.getTime() + this.deps.deadlineSeconds * 1000).toISOString();
    const pending = createEvent(
      'PaymentPending',
      {
        orderId: current.orderId,
        paymentId,
        amount: current.amount,
        reason: open.reason,
        deadline,
        attempts: Math.max(1, attempts),
      },
      {
        source: PAYMENT_SOURCE,
        aggregateId: current.orderId,
        correlationId: current.correlationId,
        causationId: current.causationId,
        now,
      },
    );
    try {
      // The hand-over to status checks and its PaymentPending event commit together.
      await this.deps.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.deps.paymentsTable,
                Key: paymentKey(paymentId),
                UpdateExpression: `SET #status = :awaiting, attempts = :attempts, deadline = :deadline, lastError = :lastError, updatedAt = :now${open.pspReference ? ', pspReference = :pspReference' : ''}`,
                ConditionExpression: '#status = :authorizing',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: {
                  ':awaiting': 'AWAITING_STATUS',
                  ':authorizing': 'AUTHORIZING',
                  ':attempts': attempts,
                  ':deadline': deadline,
                  ':lastError': open.lastError.slice(0, 1024),
                  ':now': now.toISOString(),
                  ...(open.pspReference ? { ':pspReference': open.pspReference } : {}),
                },
              },
            },
            outboxPut(this.deps.paymentsTable, pending),
          ],
        }),
      );
    } catch (error) {
      const codes =
        error instanceof TransactionCanceledException
          ? (error.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None')
          : [];
      if (codes[0] !== 'ConditionalCheckFailed') {
        throw new PaymentWriteError(`Payment ${paymentId} could not be handed to status checks`, {
          cause: error,
        });
      }
      return this.resume(await this.mustRead(paymentId));
    }
    await this.startWorkflow({ ...current, deadline });
    return { kind: 'AWAITING_STATUS', attempts };
  }

  /**
   * One status check of the workflow: asks the PSP (re-submitting the authorization under the same
   * idempotency key when the PSP never received it) and settles a final answer. Otherwise reports the
   * next, longer wait (doubling, capped, never past the deadline) and whether the deadline has passed.
   */
  async checkStatus(input: PaymentWorkflowInput, now: Date): Promise<StatusCheckResult> {
    const payment = await this.mustRead(input.paymentId);
    if (payment.status !== 'AWAITING_STATUS') {
      return {
        settled: isFinalStatus(payment.status),
        deadlinePassed: false,
        nextWaitSeconds: this.nextWait(input, now),
        status: payment.status,
      };
    }
    const result = await this.askPsp(payment);
    const checks = payment.statusChecks + 1;
    if (result && 'final' in result) {
      const settled = await this.settle(
        payment,
        'AWAITING_STATUS',
        result.final,
        payment.attempts,
        now,
        checks,
      );
      const status = settled ? result.final.status : (await this.mustRead(payment.paymentId)).status;
      return { settled: isFinalStatus(status), deadlinePassed: false, nextWaitSeconds: 0, status };
    }
    await this.countCheck(payment.paymentId, now);
    const deadline = Date.parse(payment.deadline ?? input.deadline);
    return {
      settled: false,
      deadlinePassed: now.getTime() >= deadline,
      nextWaitSeconds: this.nextWait(input, now),
      status: 'AWAITING_STATUS',
    };
  }

  /**
   * The deadline passed: one last status check, then the payment fails with DEADLINE_EXCEEDED unless
   * the PSP has a final answer by now.
   */
  async expire(input: PaymentWorkflowInput, now: Date): Promise<{ status: PaymentStatus }> {
    const payment = await this.mustRead(input.paymentId);
    if (payment.status !== 'AWAITING_STATUS') return { status: payment.status };
    const result = await this.askPsp(payment);
    const outcome: FinalOutcome =
      result && 'final' in result
        ? result.final
        : {
            status: 'FAILED',
            reason: 'DEADLINE_EXCEEDED',
            detail: `The PSP gave no final answer before ${payment.deadline ?? input.deadline}`,
            ...(payment.pspReference ? { pspReference: payment.pspReference } : {}),
          };
    const settled = await this.settle(
      payment,
      'AWAITING_STATUS',
      outcome,
      payment.attempts,
      now,
      payment.statusChecks + 1,
    );
    return { status: settled ? outcome.status : (await this.mustRead(payment.paymentId)).status };
  }

  /** The PSP's final answer for an awaiting payment, if it has one; transient errors count as none. */
  private async askPsp(payment: PaymentItem): Promise<{ final: FinalOutcome } | { open: true } | undefined> {
    const { retry, provider } = this.deps;
    try {
      const found = await provider.getStatus(payment.paymentId, { timeoutMs: retry.timeoutMs });
      // The PSP never received the authorization: submit it again under the same idempotency key.
      const status: AuthorizationResult =
        found.status !== 'NOT_FOUND'
          ? found
          : await provider.authorize(
              {
                paymentId: payment.paymentId,
                amount: payment.amount,
                token: payment.token,
                splits: payment.splits,
              },
              { idempotencyKey: payment.paymentId, timeoutMs: retry.timeoutMs },
            );
      const final = finalOutcomeOf(status);
      return final ? { final } : { open: true };
    } catch (error) {
      if (error instanceof PspRejectedError) {
        return { final: { status: 'FAILED', reason: 'PSP_ERROR', detail: error.message.slice(0, 1024) } };
      }
      if (error instanceof PspTransientError) return undefined;
      throw error;
    }
  }

  private nextWait(input: PaymentWorkflowInput, now: Date): number {
    const doubled = Math.min(this.maxWaitSeconds, Math.max(1, Math.floor(input.waitSeconds)) * 2);
    const remaining = Math.ceil((Date.parse(input.deadline) - now.getTime()) / 1000);
    return Math.max(1, Math.min(doubled, remaining));
  }

  /** Continues a payment found already created: final stays final, awaiting makes sure the workflow runs. */
  private async resume(payment: PaymentItem): Promise<AuthorizeOutcome> {
    if (payment.status === 'AWAITING_STATUS') await this.startWorkflow(payment);
    return { kind: 'ALREADY_HANDLED', status: payment.status };
  }

  private async settleOrResume(
    payment: PaymentItem,
    from: PaymentStatus,
    outcome: FinalOutcome,
    attempts: number,
    now: Date,
  ): Promise<AuthorizeOutcome> {
    if (await this.settle(payment, from, outcome, attempts, now, payment.statusChecks)) {
      return {
        kind: 'SETTLED',
        status: outcome.status,
        attempts,
        ...(outcome.status === 'FAILED' ? { reason: outcome.reason } : {}),
      };
    }
    return this.resume(await this.mustRead(payment.paymentId));
  }

  /**
   * Settles in one transaction: the payment moves from `from` to the final status (condition
   * `#status = :from`) and the PaymentSucceeded/PaymentFailed outbox row is written. Returns false when
   * the payment was no longer in `from` (settled or moved on by another run).
   */
  private async settle(
    payment: PaymentItem,
    from: PaymentStatus,
    outcome: FinalOutcome,
    attempts: number,
    now: Date,
    statusChecks: number,
  ): Promise<boolean> {
    const attemptsReported = Math.max(1, attempts);
    const meta = {
      source: PAYMENT_SOURCE,
      aggregateId: payment.orderId,
      correlationId: payment.correlationId,
      causationId: payment.causationId,
      now,
    };
    const event =
      outcome.status === 'SUCCEEDED'
        ? createEvent(
            'PaymentSucceeded',
            {
              orderId: payment.orderId,
              paymentId: payment.paymentId,
              amount: payment.amount,
              splits: payment.splits,
              pspReference: outcome.pspReference,
              attempts: attemptsReported,
            },
            meta,
          )
        : createEvent(
            'PaymentFailed',
            {
              orderId: payment.orderId,
              paymentId: payment.paymentId,
              amount: payment.amount,
              reason: outcome.reason,
              ...(outcome.detail ? { detail: outcome.detail } : {}),
              attempts: attemptsReported,
            },
            meta,
          );
    const pspReference = outcome.pspReference ?? payment.pspReference;
    try {
      await this.deps.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.deps.paymentsTable,
                Key: paymentKey(payment.paymentId),
                UpdateExpression: `SET #status = :final, attempts = :attempts, statusChecks = :checks, settledAt = :now, updatedAt = :now${
                  outcome.status === 'FAILED' ? ', failureReason = :reason' : ''
                }${pspReference ? ', pspReference = :pspReference' : ''}`,
                ConditionExpression: '#status = :from',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: {
                  ':final': outcome.status,
                  ':from': from,
                  ':attempts': attemptsReported,
                  ':checks': statusChecks,
                  ':now': now.toISOString(),
                  ...(outcome.status === 'FAILED' ? { ':reason': outcome.reason } : {}),
                  ...(pspReference ? { ':pspReference': pspReference } : {}),
                },
              },
            },
            outboxPut(this.deps.paymentsTable, event),
          ],
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        const codes = (error.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None');
        if (codes[0] === 'ConditionalCheckFailed') return false;
      }
      throw new PaymentWriteError(`Payment ${payment.paymentId} could not be settled`, { cause: error });
    }
  }

  private async countCheck(paymentId: string, now: Date): Promise<void> {
    try {
      await this.deps.client.send(
        new UpdateCommand({
          TableName: this.deps.paymentsTable,
          Key: paymentKey(paymentId),
          UpdateExpression: 'ADD statusChecks :one SET updatedAt = :now',
          ConditionExpression: '#status = :awaiting',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':one': 1, ':awaiting': 'AWAITING_STATUS', ':now': now.toISOString() },
        }),
      );
    } catch (error) {
      // Settled meanwhile: the count no longer matters.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  private async startWorkflow(payment: PaymentItem): Promise<void> {
    if (!payment.deadline)
      throw new PaymentWriteError(`Payment ${payment.paymentId} awaits its status without a deadline`);
    await this.deps.workflow.start(executionNameFor(payment.paymentId), {
      paymentId: payment.paymentId,
      orderId: payment.orderId,
      deadline: payment.deadline,
      waitSeconds: this.initialWaitSeconds,
    });
  }

  private async read(paymentId: string): Promise<PaymentItem | undefined> {
    const { Item } = await this.deps.client.send(
      new GetCommand({
        TableName: this.deps.paymentsTable,
        Key: paymentKey(paymentId),
        ConsistentRead: true,
      }),
    );
    return Item as PaymentItem | undefined;
  }

  private async mustRead(paymentId: string): Promise<PaymentItem> {
    const payment = await this.read(paymentId);
    if (!payment) throw new PaymentNotFoundError(`Payment ${paymentId} does not exist`);
    return payment;
  }
}
