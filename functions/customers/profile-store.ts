import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { RetryableError } from '#platform/errors';
import { type CustomerStatus, customerKey, type ProfileItem, type UpdateProfileRequest } from './model';

/** DynamoDB did not answer a profile write as expected. */
export class ProfileWriteError extends RetryableError {
  readonly code = 'PROFILE_WRITE_FAILED';
}

const isConditionFailure = (error: unknown) =>
  (error as { name?: unknown } | undefined)?.name === 'ConditionalCheckFailedException';

/**
 * The `customers` table: one profile item per customer, keyed by the token's subject. Reads are one
 * GetItem; the first profile of a customer is put only if none exists, and an update never touches
 * the status (the back office's).
 */
export class ProfileStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /** The customer's profile; `consistent` right after a write the caller must see. */
  async get(customerId: string, options: { consistent: boolean }): Promise<ProfileItem | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: customerKey(customerId),
        ...(options.consistent ? { ConsistentRead: true } : {}),
      }),
    );
    return Item as ProfileItem | undefined;
  }

  /** Puts a new profile unless the customer has one: `EXISTS` when another request created it first. */
  async create(profile: ProfileItem): Promise<'CREATED' | 'EXISTS'> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: profile,
          ConditionExpression: 'attribute_not_exists(customerId)',
        }),
      );
      return 'CREATED';
    } catch (error) {
      if (isConditionFailure(error)) return 'EXISTS';
      throw error;
    }
  }

  /**
   * Replaces the editable fields of a profile in one UpdateItem and returns the profile after it. A
   * customer without a profile gets one (ACTIVE, created now); an existing profile keeps its status
   * and creation time, which the update only sets when they are missing (`if_not_exists`).
   */
  async update(customerId: string, update: UpdateProfileRequest, now: Date): Promise<ProfileItem> {
    const sets = [
      '#name = :name',
      'notifications = :notifications',
      'updatedAt = :now',
      'entity = if_not_exists(entity, :entity)',
      '#status = if_not_exists(#status, :active)',
      'createdAt = if_not_exists(createdAt, :now)',
      'version = if_not_exists(version, :zero) + :one',
    ];
    const removes: string[] = [];
    const values: Record<string, unknown> = {
      ':name': update.name,
      ':notifications': { email: update.notifications.email, sms: update.notifications.sms },
      ':now': now.toISOString(),
      ':entity': 'CUSTOMER',
      ':active': 'ACTIVE',
      ':zero': 0,
      ':one': 1,
    };
    for (const field of ['email', 'phone'] as const) {
      const value = update[field];
      if (value === undefined) {
        removes.push(field);
      } else {
        sets.push(`${field} = :${field}`);
        values[`:${field}`] = value;
      }
    }
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: customerKey(customerId),
        UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ExpressionAttributeNames: { '#name': 'name', '#status': 'status' },
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    if (!Attributes)
      throw new ProfileWriteError(`The profile of ${customerId} was not returned by its update`);
    return Attributes as ProfileItem;
  }

  /**
   * Sets the status of an existing profile, with who set it and when; the profile after it, or
   * `undefined` when the customer has no profile (condition `attribute_exists(customerId)`).
   */
  async setStatus(
    customerId: string,
    status: CustomerStatus,
    changedBy: string,
    now: Date,
  ): Promise<ProfileItem | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: customerKey(customerId),
          UpdateExpression:
            'SET #status = :status, statusChangedBy = :by, statusChangedAt = :now, updatedAt = :now, version = version + :one',
          ConditionExpression: 'attribute_exists(customerId)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':status': status,
            ':by': changedBy,
            ':now': now.toISOString(),
            ':one': 1,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      if (!Attributes)
        throw new ProfileWriteError(`The profile of ${customerId} was not returned by its update`);
      return Attributes as ProfileItem;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }
}
