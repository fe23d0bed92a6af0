import { describe, expect, it } from 'vitest';
import {
  defaultProfile,
  parseUpdateProfileRequest,
  profileView,
  recipientOfProfile,
} from '#functions/customers/model';

const NOW = new Date('2025-03-01T12:00:00.000Z');
const VALID = {
  name: 'Alice Liddell',
  email: 'alice@example.com',
  phone: '+15555550123',
  notifications: { email: true, sms: true },
};

describe('Function: defaultProfile', () => {
  it("starts an ACTIVE profile from the token's email and name, notified by email", () => {
    // Act
    const profile = defaultProfile({ sub: 'c-1', email: 'alice@example.com', name: 'Alice' }, NOW);

    // Assess
    expect(profile).toEqual({
      customerId: 'c-1',
      entity: 'CUSTOMER',
      name: 'Alice',
      email: 'alice@example.com',
      notifications: { email: true, sms: false },
      status: 'ACTIVE',
      createdAt: NOW.toISOString(),
      updatedAt: NOW.toISOString(),
      version: 1,
    });
  });

  it("names the customer after the email's local part when the token has no name", () => {
    // Act
    const profile = defaultProfile({ sub: 'c-1', email: 'bob@example.com' }, NOW);

    // Assess
    expect(profile.name).toBe('bob');
  });

  it('leaves out an email claim that is not an address, and with it email notifications', () => {
    // Act
    const profile = defaultProfile({ sub: 'c-1', email: 'not-an-address' }, NOW);

    // Assess
    expect(profile).toMatchObject({ name: 'Customer', notifications: { email: false, sms: false } });
    expect(profile).not.toHaveProperty('email');
  });
});

describe('Function: recipientOfProfile', () => {
  it('snapshots the contact details and preferences, without absent addresses', () => {
    // Prepare
    const profile = defaultProfile({ sub: 'c-1', name: 'Carol' }, NOW);

    // Act
    const recipient = recipientOfProfile(profile);

    // Assess
    expect(recipient).toEqual({
      customerId: 'c-1',
      name: 'Carol',
      notifications: { email: false, sms: false },
    });
  });
});

describe('Function: profileView', () => {
  it('shows the profile without its storage fields', () => {
    // Prepare
    const profile = {
      ...defaultProfile({ sub: 'c-1', email: 'alice@example.com' }, NOW),
      phone: '+15555550123',
    };

    // Act
    const view = profileView(profile);

    // Assess
    expect(view).toEqual({
      customerId: 'c-1',
      name: 'alice',
      email: 'alice@example.com',
      phone: '+15555550123',
      notifications: { email: true, sms: false },
      status: 'ACTIVE',
      createdAt: NOW.toISOString(),
      updatedAt: NOW.toISOString(),
    });
  });
});

describe('Function: parseUpdateProfileRequest', () => {
  it('accepts a whole profile, trimming the name', () => {
    // Act
    const result = parseUpdateProfileRequest({ ...VALID, name: '  Alice Liddell ' });

    // Assess
    expect(result).toEqual({ ok: true, value: VALID });
  });

  it('accepts a profile without email or phone that accepts no notifications', () => {
    // Act
    const result = parseUpdateProfileRequest({ name: 'Alice', notifications: { email: false, sms: false } });

    // Assess
    expect(result.ok).toBe(true);
  });

  it.each([
    ['an unknown field', { ...VALID, nickname: 'al' }, 'unknown field nickname'],
    [
      'a status',
      { ...VALID, status: 'ACTIVE' },
      'status is not accepted: a customer cannot change their own status',
    ],
    ['a customerId', { ...VALID, customerId: 'other' }, 'customerId is not accepted'],
    ['a bad email', { ...VALID, email: 'alice-at-example' }, 'email must be an email address'],
    ['a phone that is not E.164', { ...VALID, phone: '555 0123' }, 'phone must be an E.164 number'],
    ['an empty name', { ...VALID, name: '  ' }, 'name must not be empty'],
    [
      'a preference that is not a boolean',
      { ...VALID, notifications: { email: 'yes', sms: true } },
      'true or false',
    ],
    ['an unknown channel', { ...VALID, notifications: { email: true, sms: true, push: true } }, 'push'],
  ])('refuses %s', (_, body, message) => {
    // Act
    const result = parseUpdateProfileRequest(body);

    // Assess
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues.map((issue) => issue.message).join('; ')).toContain(message);
  });

  it('names the field of a refused status and customerId', () => {
    // Act
    const result = parseUpdateProfileRequest({ ...VALID, status: 'ACTIVE' });

    // Assess
    expect(!result.ok && result.issues).toEqual([
      { path: 'status', message: 'status is not accepted: a customer cannot change their own status' },
    ]);
  });

  it.each([
    ['SMS without a phone', { name: 'A', notifications: { email: false, sms: true } }, 'notifications.sms'],
    [
      'email without an address',
      { name: 'A', notifications: { email: true, sms: false } },
      'notifications.email',
    ],
  ])('refuses %s, naming the preference', (_, body, path) => {
    // Act
    const result = parseUpdateProfileRequest(body);

    // Assess
    expect(!result.ok && result.issues.map((issue) => issue.path)).toEqual([path]);
  });

  it.each([
    ['an array', []],
    ['null', null],
    ['a string', 'name'],
  ])('refuses %s as the body', (_, body) => {
    // Act
    const result = parseUpdateProfileRequest(body);

    // Assess
    expect(result).toEqual({ ok: false, issues: [{ path: '', message: 'body must be a JSON object' }] });
  });
});
