import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChaosError } from '#chaos/errors';
import { runtimeInfoFile, signInFromFlags, signInFromRuntimeInfo } from '#chaos/sign-in';
import type { RuntimeInfo } from '#localstack/runtime/runtime-info';

const INFO: RuntimeInfo = {
  apiUrl: 'http://127.0.0.1:3000',
  controlPlaneUrl: 'http://127.0.0.1:4566',
  cognito: {
    userPoolId: 'us-east-1_pool',
    clientId: 'client-1',
    users: [
      { email: 'alice@example.com', password: 'pw', role: 'customer' },
      { email: 'bob@example.com', password: 'pw', role: 'customer' },
      { email: 'admin@example.com', password: 'pw', role: 'admin' },
    ],
  },
};

describe('Function: signInFromFlags', () => {
  it('takes the flags first, the environment for what they leave out, the password from the environment', () => {
    // Prepare
    const env = {
      CHAOS_USER_POOL_CLIENT_ID: 'from-env',
      CHAOS_CUSTOMERS: 'carol',
      CHAOS_CUSTOMER_PASSWORD: 'secret',
    };

    // Act
    const fromFlags = signInFromFlags({ 'user-pool-client-id': 'client-1', customers: 'a, b,a' }, env);
    const fromEnv = signInFromFlags({}, env);

    // Assess
    expect(fromFlags).toEqual({
      clientId: 'client-1',
      customers: [
        { username: 'a', password: 'secret' },
        { username: 'b', password: 'secret' },
      ],
    });
    expect(fromEnv).toEqual({ clientId: 'from-env', customers: [{ username: 'carol', password: 'secret' }] });
  });

  it('names everything that is missing', () => {
    // Act
    const missing = () => signInFromFlags({ customers: 'a' }, {});

    // Assess
    expect(missing).toThrow(ChaosError);
    expect(missing).toThrow(/--user-pool-client-id or CHAOS_USER_POOL_CLIENT_ID.*CHAOS_CUSTOMER_PASSWORD/);
  });
});

describe('Function: signInFromRuntimeInfo', () => {
  it('signs in every demo customer of the local pool, not the admin', () => {
    // Act
    const options = signInFromRuntimeInfo(INFO);

    // Assess
    expect(options).toEqual({
      clientId: 'client-1',
      customers: [
        { username: 'alice@example.com', password: 'pw' },
        { username: 'bob@example.com', password: 'pw' },
      ],
    });
    expect(() => signInFromRuntimeInfo({ ...INFO, cognito: undefined })).toThrow(ChaosError);
  });
});

describe('Function: runtimeInfoFile', () => {
  it('reads the info of the runtime serving the API, and no other', () => {
    // Prepare
    const file = join(mkdtempSync(join(tmpdir(), 'chaos-sign-in-')), 'runtime.json');
    writeFileSync(file, JSON.stringify(INFO));

    // Act
    const same = runtimeInfoFile(file, 'http://127.0.0.1:3000/');
    const other = runtimeInfoFile(file, 'http://127.0.0.1:3001');
    const none = runtimeInfoFile(join(tmpdir(), 'no-such-runtime.json'), 'http://127.0.0.1:3000');

    // Assess
    expect(same).toEqual(INFO);
    expect(other).toBeUndefined();
    expect(none).toBeUndefined();
  });
});
