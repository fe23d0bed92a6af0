import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { RetryableError } from './errors';
import { tracer } from './powertools';

/** How long a secret value is reused before it is read again (a rotated key is picked up by then). */
export const SECRET_MAX_AGE_SECONDS = 300;

/** A secret could not be read (Secrets Manager unavailable, throttled, or the secret is empty). */
export class SecretUnavailableError extends RetryableError {
  readonly code = 'SECRET_UNAVAILABLE';
}

/**
 * Reads secrets from AWS Secrets Manager through Powertools Parameters, cached per container for
 * `SECRET_MAX_AGE_SECONDS`. The endpoint comes from the standard SDK configuration
 * (`AWS_ENDPOINT_URL_SECRETS_MANAGER` locally).
 */
export class Secrets {
  private readonly provider: SecretsProvider;

  constructor(client?: SecretsManagerClient) {
    this.provider = new SecretsProvider({
      awsSdkV3Client: client ?? tracer.captureAWSv3Client(new SecretsManagerClient({ maxAttempts: 3 })),
    });
  }

  /** The secret's string value; `refresh` reads it again, ignoring the cache (after a rejection). */
  async text(secretId: string, options: { refresh?: boolean } = {}): Promise<string> {
    let value: unknown;
    try {
      value = await this.provider.get(secretId, {
        maxAge: SECRET_MAX_AGE_SECONDS,
        ...(options.refresh ? { forceFetch: true } : {}),
      });
    } catch (error) {
      throw new SecretUnavailableError(`Secret ${secretId} could not be read`, { cause: error });
    }
    if (typeof value !== 'string' || value === '') {
      throw new SecretUnavailableError(`Secret ${secretId} has no string value`);
    }
    return value;
  }
}
