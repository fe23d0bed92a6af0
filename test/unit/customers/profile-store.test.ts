import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { defaultProfile, type ProfileItem } from '#functions/customers/model';
import { ProfileStore, ProfileWriteError } from '#functions/customers/profile-store';
import { ProfileMissingError, profileOf, standingOf } from '#functions/customers/profiles';

const TABLE = 'customers-test';
const NOW = new Date('2025-03-01T12:00:00.000Z');
const ALICE = { sub: 'c-alice', email: 'alice@example.com', name: 'Alice' };

const doc = mockClient(DynamoDBDocumentClient);
const store = () => new ProfileStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), TABLE);
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

const stored = (overrides: Partial<ProfileItem> = {}): ProfileItem => ({
  ...defaultProfile(ALICE, new Date('2025-02-01T00:00:00.000Z')),
  ...overrides,
});

describe('Class: ProfileStore', () => {
  beforeEach(() => {
    doc.reset();
  });

  it('creates a profile only if the customer has none', async () => {
    // Prepare
    doc.on(PutCommand).resolves({});
    const profile = defaultProfile(ALICE, NOW);

    // Act
    const result = await store().create(profile);

    // Assess
    expect(result).toBe('CREATED');
    expect(doc.commandCalls(PutCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Item: profile,
      ConditionExpression: 'attribute_not_exists(customerId)',
    });
  });

  it('answers EXISTS when a profile was created first', async () => {
    // Prepare
    doc.on(PutCommand).rejects(conditionFailed());

    // Act
    const result = await store().create(defaultProfile(ALICE, NOW));

    // Assess
    expect(result).toBe('EXISTS');
  });

  it('passes on any other failure of the create', async () => {
    // Prepare
    doc.on(PutCommand).rejects(new Error('throttled'));

    // Act
    const attempt = store().create(defaultProfile(ALICE, NOW));

    // Assess
    await expect(attempt).rejects.toThrow('throttled');
  });

  it('replaces the editable fields in one UpdateItem that sets the status only when it is missing', async () => {
    // Prepare
    doc.on(UpdateCommand).resolves({ Attributes: stored({ phone: '+15555550123' }) });

    // Act
    await store().update(
      ALICE.sub,
      {
        name: 'Alice L.',
        email: 'a@example.com',
        phone: '+15555550123',
        notifications: { email: true, sms: true },
      },
      NOW,
    );

    // Assess
    expect(doc.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { customerId: ALICE.sub },
      UpdateExpression:
        'SET #name = :name, notifications = :notifications, updatedAt = :now, entity = if_not_exists(entity, :entity), #status = if_not_exists(#status, :active), createdAt = if_not_exists(createdAt, :now), version = if_not_exists(version, :zero) + :one, email = :email, phone = :phone',
      ExpressionAttributeNames: { '#name': 'name', '#status': 'status' },
      ExpressionAttributeValues: {
        ':name': 'Alice L.',
        ':notifications': { email: true, sms: true },
        ':now': NOW.toISOString(),
        ':entity': 'CUSTOMER',
        ':active': 'ACTIVE',
        ':zero': 0,
        ':one': 1,
        ':email': 'a@example.com',
        ':phone': '+15555550123',
      },
      ReturnValues: 'ALL_NEW',
    });
    expect(doc.commandCalls(UpdateCommand)[0]?.args[0].input.ConditionExpression).toBeUndefined();
  });

  it('removes the addresses a replacement leaves out', async () => {
    // Prepare
    doc.on(UpdateCommand).resolves({ Attributes: stored() });

    // Act
    await store().update(ALICE.sub, { name: 'Alice', notifications: { email: false, sms: false } }, NOW);

    // Assess
    expect(doc.commandCalls(UpdateCommand)[0]?.args[0].input.UpdateExpression).toMatch(
      / REMOVE email, phone$/,
    );
  });

  it('sets the status of an existing profile only, recording who set it', async () => {
    // Prepare
    doc.on(UpdateCommand).resolves({ Attributes: stored({ status: 'SUSPENDED' }) });

    // Act
    const profile = await store().setStatus(ALICE.sub, 'SUSPENDED', 'admin@example.com', NOW);

    // Assess
    expect(profile?.status).toBe('SUSPENDED');
    expect(doc.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { customerId: ALICE.sub },
      UpdateExpression:
        'SET #status = :status, statusChangedBy = :by, statusChangedAt = :now, updatedAt = :now, version = version + :one',
      ConditionExpression: 'attribute_exists(customerId)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':status': 'SUSPENDED',
        ':by': 'admin@example.com',
        ':now': NOW.toISOString(),
        ':one': 1,
      },
      ReturnValues: 'ALL_NEW',
    });
  });

  it('answers undefined when the customer has no profile to set the status of', async () => {
    // Prepare
    doc.on(UpdateCommand).rejects(conditionFailed());

    // Act
    const profile = await store().setStatus(ALICE.sub, 'SUSPENDED', 'admin@example.com', NOW);

    // Assess
    expect(profile).toBeUndefined();
  });

  it('fails with ProfileWriteError when the update returns no profile', async () => {
    // Prepare
    doc.on(UpdateCommand).resolves({});

    // Act
    const attempt = store().update(
      ALICE.sub,
      { name: 'A', notifications: { email: false, sms: false } },
      NOW,
    );

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ProfileWriteError);
  });
});

describe('Function: profileOf', () => {
  beforeEach(() => {
    doc.reset();
  });

  it('returns the stored profile with one consistent read, and writes nothing', async () => {
    // Prepare
    doc.on(GetCommand).resolves({ Item: stored({ status: 'SUSPENDED' }) });

    // Act
    const result = await profileOf(store(), ALICE, NOW);

    // Assess
    expect(result).toEqual({ profile: stored({ status: 'SUSPENDED' }), created: false });
    expect(doc.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { customerId: ALICE.sub },
      ConsistentRead: true,
    });
    expect(doc.commandCalls(PutCommand)).toHaveLength(0);
  });

  it("creates the first profile from the token's claims", async () => {
    // Prepare
    doc.on(GetCommand).resolves({});
    doc.on(PutCommand).resolves({});

    // Act
    const result = await profileOf(store(), ALICE, NOW);

    // Assess
    expect(result).toEqual({ profile: defaultProfile(ALICE, NOW), created: true });
    expect(doc.commandCalls(PutCommand)[0]?.args[0].input.ConditionExpression).toBe(
      'attribute_not_exists(customerId)',
    );
  });

  it('returns the profile a concurrent first call created', async () => {
    // Prepare
    doc.on(GetCommand).resolvesOnce({}).resolves({ Item: stored() });
    doc.on(PutCommand).rejects(conditionFailed());

    // Act
    const result = await profileOf(store(), ALICE, NOW);

    // Assess
    expect(result).toEqual({ profile: stored(), created: false });
    expect(doc.commandCalls(GetCommand)).toHaveLength(2);
  });

  it('fails with the retryable ProfileMissingError when the profile that refused the create cannot be read', async () => {
    // Prepare
    doc.on(GetCommand).resolves({});
    doc.on(PutCommand).rejects(conditionFailed());

    // Act
    const attempt = profileOf(store(), ALICE, NOW);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ProfileMissingError);
    await expect(attempt).rejects.toMatchObject({ code: 'PROFILE_MISSING', retryable: true });
  });
});

describe('Function: standingOf', () => {
  beforeEach(() => {
    doc.reset();
  });

  it('reads the profile with one eventually consistent GetItem: its status and contact details', async () => {
    // Prepare
    doc.on(GetCommand).resolves({ Item: stored({ status: 'SUSPENDED', phone: '+15555550123' }) });

    // Act
    const standing = await standingOf(store(), ALICE, NOW);

    // Assess
    expect(standing).toEqual({
      status: 'SUSPENDED',
      recipient: {
        customerId: ALICE.sub,
        name: 'Alice',
        email: 'alice@example.com',
        phone: '+15555550123',
        notifications: { email: true, sms: false },
      },
    });
    expect(doc.commandCalls(GetCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: TABLE, Key: { customerId: ALICE.sub } },
    ]);
  });

  it("treats a customer without a profile as ACTIVE, with the token's contact details, and creates nothing", async () => {
    // Prepare
    doc.on(GetCommand).resolves({});

    // Act
    const standing = await standingOf(store(), ALICE, NOW);

    // Assess
    expect(standing).toEqual({
      status: 'ACTIVE',
      recipient: {
        customerId: ALICE.sub,
        name: 'Alice',
        email: 'alice@example.com',
        notifications: { email: true, sms: false },
      },
    });
    expect(doc.commandCalls(PutCommand)).toHaveLength(0);
  });
});
