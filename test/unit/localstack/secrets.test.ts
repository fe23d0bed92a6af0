import { describe, expect, it } from 'vitest';
import { localIdentity } from '#localstack/runtime/identity';
import { Resolver } from '#localstack/runtime/resolve';
import { generateSecretValue, LocalSecrets, SecretsManagerApiError } from '#localstack/runtime/secrets';
import type { StackTemplate } from '#localstack/runtime/template';

const template: StackTemplate = {
  stackName: 'Psp',
  parameters: {},
  outputs: {},
  resources: {
    ApiKey: {
      Type: 'AWS::SecretsManager::Secret',
      Properties: { GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true } },
    },
    Named: { Type: 'AWS::SecretsManager::Secret', Properties: { Name: 'psp/live', SecretString: 'given' } },
  },
};
const resolver = () => new Resolver([template], localIdentity);

describe('Class: LocalSecrets', () => {
  it('generates a GenerateSecretString value per start and serves GetSecretValue by ARN, name or partial ARN', () => {
    // Prepare
    const first = new LocalSecrets([template], resolver());
    const second = new LocalSecrets([template], resolver());
    const arn = resolver().resolveString(template, { Ref: 'ApiKey' });

    // Act
    const byArn = first.handle('GetSecretValue', { SecretId: arn }) as { SecretString: string; Name: string };
    const byName = first.handle('GetSecretValue', { SecretId: byArn.Name }) as { SecretString: string };
    const byPartialArn = first.handle('GetSecretValue', { SecretId: arn.slice(0, -7) }) as {
      SecretString: string;
    };

    // Assess
    expect(arn).toMatch(
      /^arn:aws:secretsmanager:us-east-1:000000000000:secret:ApiKey-[0-9a-f]{12}-[A-Za-z0-9]{6}$/,
    );
    expect(byArn.SecretString).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(byName.SecretString).toBe(byArn.SecretString);
    expect(byPartialArn.SecretString).toBe(byArn.SecretString);
    expect(second.value(arn)).not.toBe(byArn.SecretString);
    expect(first.value('psp/live')).toBe('given');
  });

  it('rotates a value with PutSecretValue', () => {
    // Prepare
    const secrets = new LocalSecrets([template], resolver());

    // Act
    secrets.handle('PutSecretValue', { SecretId: 'psp/live', SecretString: 'rotated' });

    // Assess
    expect(secrets.value('psp/live')).toBe('rotated');
  });

  it('answers an unknown secret with ResourceNotFoundException', () => {
    // Act
    const act = () => new LocalSecrets([template], resolver()).handle('GetSecretValue', { SecretId: 'nope' });

    // Assess
    expect(act).toThrow(SecretsManagerApiError);
    expect(act).toThrow(expect.objectContaining({ type: 'ResourceNotFoundException' }));
  });
});

describe('Function: generateSecretValue', () => {
  it('honours the length and the excluded characters', () => {
    // Act
    const value = generateSecretValue({
      PasswordLength: 64,
      ExcludeCharacters: 'aeiou',
      ExcludeNumbers: true,
    });

    // Assess
    expect(value).toHaveLength(64);
    expect(value).not.toMatch(/[aeiou0-9]/);
  });
});
