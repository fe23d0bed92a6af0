import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { LOCAL_ACCOUNT, LOCAL_REGION, type Resolver } from './resolve';
import { resourcesOfType, type StackTemplate } from './template';

/** A Secrets Manager API error in the shape the AWS SDK reads (`__type`, `message`, status 400). */
export class SecretsManagerApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'SecretsManagerApiError';
  }
}

/** The name of a secret of the templates: its `Name`, or `<logicalId>-<stack hash>` as CloudFormation makes one. */
export function localSecretName(stack: StackTemplate, logicalId: string): string {
  const explicit = stack.resources[logicalId]?.Properties?.Name;
  if (typeof explicit === 'string') return explicit;
  const hash = createHash('sha256').update(stack.stackName).digest('hex').slice(0, 12);
  return `${logicalId}-${hash}`;
}

/** The ARN of a secret: its name and the six random characters Secrets Manager appends. */
export function localSecretArn(name: string): string {
  const suffix = createHash('sha256')
    .update(name)
    .digest('base64url')
    .replace(/[^A-Za-z0-9]/g, 'x')
    .slice(0, 6);
  return `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:${name}-${suffix}`;
}

const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = LOWER.toUpperCase();
const DIGITS = '0123456789';

/** A value as `GenerateSecretString` describes it (length, excluded characters); random per start. */
export function generateSecretValue(spec: Record<string, unknown>): string {
  const length = typeof spec.PasswordLength === 'number' ? spec.PasswordLength : 32;
  const excluded = new Set(String(spec.ExcludeCharacters ?? ''));
  let alphabet = [
    spec.ExcludeLowercase ? '' : LOWER,
    spec.ExcludeUppercase ? '' : UPPER,
    spec.ExcludeNumbers ? '' : DIGITS,
    spec.ExcludePunctuation ? '' : PUNCTUATION,
    spec.IncludeSpace ? ' ' : '',
  ].join('');
  alphabet = [...alphabet].filter((char) => !excluded.has(char)).join('');
  const bytes = randomBytes(length * 2);
  let value = '';
  for (let index = 0; value.length < length; index++) {
    value += alphabet[(bytes[index % bytes.length] ?? 0) % alphabet.length];
  }
  const template = spec.SecretStringTemplate;
  if (typeof template === 'string' && typeof spec.GenerateStringKey === 'string') {
    return JSON.stringify({ ...(JSON.parse(template) as object), [spec.GenerateStringKey]: value });
  }
  return value;
}

interface LocalSecret {
  readonly arn: string;
  readonly name: string;
  value: string;
  versionId: string;
  readonly createdDate: Date;
}

/**
 * The secrets of the templates (`AWS::SecretsManager::Secret`): a `SecretString` as given, a
 * `GenerateSecretString` generated at each start. Serves `GetSecretValue` (by name, ARN or partial
 * ARN), `DescribeSecret` and `PutSecretValue` (a rotation).
 */
export class LocalSecrets {
  private readonly secrets: LocalSecret[] = [];

  constructor(stacks: readonly StackTemplate[], resolver: Resolver) {
    for (const { stack, logicalId, resource } of resourcesOfType(stacks, 'AWS::SecretsManager::Secret')) {
      const props = resource.Properties ?? {};
      const arn = resolver.resolveString(stack, { Ref: logicalId });
      const value =
        props.SecretString !== undefined
          ? resolver.resolveString(stack, props.SecretString)
          : generateSecretValue((props.GenerateSecretString ?? {}) as Record<string, unknown>);
      this.secrets.push({
        arn,
        name: localSecretName(stack, logicalId),
        value,
        versionId: randomUUID(),
        createdDate: new Date(),
      });
    }
  }

  /** The secret a `SecretId` names: its name, its ARN, or its ARN without the random suffix. */
  find(secretId: unknown): LocalSecret {
    const id = String(secretId ?? '');
    const secret = this.secrets.find(
      (candidate) => candidate.name === id || candidate.arn === id || candidate.arn.slice(0, -7) === id,
    );
    if (!secret)
      throw new SecretsManagerApiError(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret.",
      );
    return secret;
  }

  /** The names of the secrets. */
  names(): string[] {
    return this.secrets.map((secret) => secret.name);
  }

  /** The current value of a secret (for tools and tests). */
  value(secretId: string): string {
    return this.find(secretId).value;
  }

  /** Serves a Secrets Manager API call (`X-Amz-Target: secretsmanager.<operation>`). */
  handle(operation: string, request: Record<string, unknown>): unknown {
    const secret = this.find(request.SecretId);
    const created = Math.floor(secret.createdDate.getTime() / 1000);
    switch (operation) {
      case 'GetSecretValue':
        return {
          ARN: secret.arn,
          Name: secret.name,
          VersionId: secret.versionId,
          SecretString: secret.value,
          VersionStages: ['AWSCURRENT'],
          CreatedDate: created,
        };
      case 'DescribeSecret':
        return { ARN: secret.arn, Name: secret.name, CreatedDate: created };
      case 'PutSecretValue': {
        if (typeof request.SecretString !== 'string' || request.SecretString === '')
          throw new SecretsManagerApiError('InvalidParameterException', 'SecretString is required.');
        secret.value = request.SecretString;
        secret.versionId =
          typeof request.ClientRequestToken === 'string' ? request.ClientRequestToken : randomUUID();
        return {
          ARN: secret.arn,
          Name: secret.name,
          VersionId: secret.versionId,
          VersionStages: ['AWSCURRENT'],
        };
      }
      default:
        throw new SecretsManagerApiError('UnknownOperationException', `${operation} is not served locally`);
    }
  }
}
