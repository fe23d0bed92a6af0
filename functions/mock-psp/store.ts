import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { PspPaymentRecord, PspStatus } from './model';

export type AcceptedAuthorization = Required<
  Pick<PspPaymentRecord, 'paymentId' | 'status' | 'token' | 'amount' | 'splits' | 'pspReference'>
> &
  Pick<PspPaymentRecord, 'resolvesTo' | 'resolvesOnCheck' | 'resolvesAt'>;

/** Storage of the mock PSP. Every method is atomic on one payment. */
export interface PspStore {
  /** Counts a POST for the key and returns the record afterwards (created when new). */
  countCall(paymentId: string, now: Date): Promise<PspPaymentRecord>;
  /**
   * Records an accepted authorization unless one is recorded already; returns the stored record and
   * whether this call created it.
   */
  accept(record: AcceptedAuthorization, now: Date): Promise<{ record: PspPaymentRecord; created: boolean }>;
  get(paymentId: string): Promise<PspPaymentRecord | undefined>;
  /** Counts a status check of a PENDING payment and returns the record afterwards. */
  countCheck(paymentId: string, now: Date): Promise<PspPaymentRecord>;
  /**
   * Moves a payment from status `from` to `to` (settling a PENDING one, voiding, refunding); false when
   * it was no longer in `from`.
   */
  transition(paymentId: string, from: PspStatus, to: PspStatus, now: Date): Promise<boolean>;
  /**
   * Records a void of a payment no authorization was accepted for (VOIDED, no amount), so an
   * authorization arriving later is refused; returns the stored record and whether this call created it.
   */
  voidUnaccepted(
    paymentId: string,
    pspReference: string,
    now: Date,
  ): Promise<{ record: PspPaymentRecord; created: boolean }>;
}

export class DynamoPspStore implements PspStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async countCall(paymentId: string, now: Date): Promise<PspPaymentRecord> {
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { paymentId },
        UpdateExpression: 'ADD calls :one SET updatedAt = :now',
        ExpressionAttributeValues: { ':one': 1, ':now': now.toISOString() },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Attributes as PspPaymentRecord;
  }

  async accept(
    record: AcceptedAuthorization,
    now: Date,
  ): Promise<{ record: PspPaymentRecord; created: boolean }> {
    const pending = record.resolvesTo !== undefined;
    const settles = pending
      ? record.resolvesAt
        ? ', resolvesTo = :resolvesTo, resolvesAt = :resolvesAt'
        : ', resolvesTo = :resolvesTo, resolvesOnCheck = :resolvesOnCheck'
      : '';
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { paymentId: record.paymentId },
          UpdateExpression: `SET #status = :status, #token = :token, amount = :amount, splits = :splits, pspReference = :ref, statusChecks = :zero, createdAt = :now, updatedAt = :now${settles}`,
          ConditionExpression: 'attribute_not_exists(#status)',
          ExpressionAttributeNames: { '#status': 'status', '#token': 'token' },
          ExpressionAttributeValues: {
            ':status': record.status,
            ':token': record.token,
            ':amount': record.amount,
            ':splits': record.splits,
            ':ref': record.pspReference,
            ':zero': 0,
            ':now': now.toISOString(),
            ...(pending ? { ':resolvesTo': record.resolvesTo } : {}),
            ...(pending && record.resolvesAt ? { ':resolvesAt': record.resolvesAt } : {}),
            ...(pending && !record.resolvesAt ? { ':resolvesOnCheck': record.resolvesOnCheck ?? 1 } : {}),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { record: Attributes as PspPaymentRecord, created: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = await this.get(record.paymentId);
      if (!existing) throw error;
      return { record: existing, created: false };
    }
  }

  async get(paymentId: string): Promise<PspPaymentRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { paymentId }, ConsistentRead: true }),
    );
    return Item as PspPaymentRecord | undefined;
  }

  async countCheck(paymentId: string, now: Date): Promise<PspPaymentRecord> {
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { paymentId },
        UpdateExpression: 'ADD statusChecks :one SET updatedAt = :now',
        ConditionExpression: 'attribute_exists(#status)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':one': 1, ':now': now.toISOString() },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Attributes as PspPaymentRecord;
  }

  async transition(paymentId: string, from: PspStatus, to: PspStatus, now: Date): Promise<boolean> {
    const released = to === 'VOIDED' || to === 'REFUNDED';
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { paymentId },
          UpdateExpression: `SET #status = :to, updatedAt = :now${released ? ', releasedAt = :now' : ''}`,
          ConditionExpression: '#status = :from',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':to': to, ':from': from, ':now': now.toISOString() },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async voidUnaccepted(
    paymentId: string,
    pspReference: string,
    now: Date,
  ): Promise<{ record: PspPaymentRecord; created: boolean }> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { paymentId },
          UpdateExpression:
            'SET #status = :voided, pspReference = :ref, createdAt = :now, updatedAt = :now, releasedAt = :now ADD calls :zero',
          ConditionExpression: 'attribute_not_exists(#status)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':voided': 'VOIDED',
            ':ref': pspReference,
            ':now': now.toISOString(),
            ':zero': 0,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { record: Attributes as PspPaymentRecord, created: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = await this.get(paymentId);
      if (!existing) throw error;
      return { record: existing, created: false };
    }
  }
}
