import { RemovalPolicy } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ConfigError } from './errors';

export type PspMode = 'mock' | 'live';

/**
 * How the notification service delivers: `mock` (default) records what it would send and delivers
 * nothing; `aws` sends email through Amazon SES (SESv2 SendEmail) and SMS through Amazon SNS
 * (Publish to a phone number), from the configured sender identity.
 */
export type NotifyConfig =
  | { readonly mode: 'mock' }
  | {
      readonly mode: 'aws';
      /** Sender address (`notifyFromEmail`); it or its domain must be a verified SES identity. */
      readonly fromEmail: string;
      /** SES configuration set every email is sent with (`notifySesConfigurationSet`). */
      readonly sesConfigurationSet?: string;
      /** Alphanumeric SMS sender id (`notifySmsSenderId`), where the destination country supports one. */
      readonly smsSenderId?: string;
      /** Phone number SMS are sent from (`notifySmsOriginationNumber`), E.164. */
      readonly smsOriginationNumber?: string;
    };

/**
 * How functions authenticate to Kafka: `iam` (SASL/OAUTHBEARER over TLS, the MSK IAM listener) or
 * `none` (plaintext, no authentication; for a local broker standing in for a bring-your-own cluster).
 */
export type KafkaAuth = 'iam' | 'none';

/**
 * What triggers the Kafka consumers: `msk`, Amazon MSK event source mappings (Lambda polls Kafka), or
 * `bridge`, no mappings in the stacks, each mapping's settings exported as a stack output for a
 * process outside (`localstack/bridge/`) that polls Kafka and invokes the consumers through the
 * Lambda `Invoke` API (LocalStack's free edition has no Kafka event source mappings).
 */
export type KafkaEventSources = 'msk' | 'bridge';

/**
 * Who signs customers in:
 * - `cognito` (default): the app's Cognito user pool (`-Identity` stack), a Cognito user pool
 *   authorizer on the API, ID tokens;
 * - `oidc`: an existing OpenID Connect provider; a Lambda authorizer verifies its JWTs (signature from
 *   the issuer's JWKS, issuer, audience, expiry).
 */
export type AuthConfig =
  | { readonly mode: 'cognito'; readonly selfSignUp: boolean }
  | {
      readonly mode: 'oidc';
      readonly issuer: string;
      readonly audience: string;
      /** The issuer's JWKS; `<issuer>/.well-known/jwks.json` when unset. */
      readonly jwksUri?: string;
    };

export interface ApiThrottle {
  /** Steady-state requests per second for the whole stage. */
  readonly rateLimit: number;
  /** Burst capacity for the whole stage. */
  readonly burstLimit: number;
  /** Steady-state requests per second for POST /orders (at most the stage rate). */
  readonly createOrderRateLimit: number;
  /** Burst capacity for POST /orders (at most the stage burst). */
  readonly createOrderBurstLimit: number;
}

/**
 * Settings the app is built from. Everything comes from CDK context (`cdk.json` or `-c key=value`),
 * so `cdk synth` needs neither credentials nor environment variables.
 */
export interface AppConfig {
  /** Deployment stage; prefixes stack names (`OrderSaga-<stage>-...`). */
  readonly stage: string;
  /** Bring-your-own MSK cluster. When set, no cluster is created. */
  readonly mskClusterArn?: string;
  /** Bootstrap brokers of the bring-your-own cluster; when unset, functions ask MSK at cold start. */
  readonly mskBootstrapBrokers?: string;
  /** Kafka client authentication; `none` only for a bring-your-own cluster with explicit brokers. */
  readonly kafkaAuth: KafkaAuth;
  /** What triggers the Kafka consumers; `bridge` only for a bring-your-own cluster with explicit brokers. */
  readonly kafkaEventSources: KafkaEventSources;
  /** Which payment service provider the payment service talks to. */
  readonly pspMode: PspMode;
  /** Base URL of the real PSP's API (`pspMode=live`); the mock PSP's URL is derived from its REST API. */
  readonly pspBaseUrl?: string;
  /**
   * ARN of the Secrets Manager secret holding the real PSP's API key (`pspMode=live`); the mock PSP's
   * key is a secret the app generates.
   */
  readonly pspApiKeySecretArn?: string;
  /** How customers are notified (email and SMS): mock providers or Amazon SES and SNS. */
  readonly notify: NotifyConfig;
  /** How customers and back-office users sign in. */
  readonly auth: AuthConfig;
  /** Where alarm notifications go (an SNS email subscription). */
  readonly alarmEmail?: string;
  /** Target account; stacks are environment-agnostic when unset. */
  readonly account?: string;
  /** Target region; stacks are environment-agnostic when unset. */
  readonly region?: string;
  readonly apiThrottle: ApiThrottle;
}

export const DEFAULT_API_THROTTLE: ApiThrottle = {
  rateLimit: 50,
  burstLimit: 100,
  createOrderRateLimit: 20,
  createOrderBurstLimit: 40,
};

const STAGE_PATTERN = /^[a-z][a-z0-9-]{0,15}$/;
const MSK_CLUSTER_ARN_PATTERN =
  /^arn:aws[a-z-]*:kafka:[a-z0-9-]+:\d{12}:cluster\/[A-Za-z0-9-]+\/[A-Za-z0-9-]+$/;
const BROKERS_PATTERN = /^[A-Za-z0-9.-]+:\d{1,5}(,[A-Za-z0-9.-]+:\d{1,5})*$/;
const HTTPS_URL_PATTERN = /^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/[A-Za-z0-9._~/-]*)?$/;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** A plain sender address (no display name): a dot-atom local part and a DNS domain. */
const SENDER_EMAIL_PATTERN =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;
const SES_CONFIGURATION_SET_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const SMS_SENDER_ID_PATTERN = /^(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{3,11}$/;
const E164_PATTERN = /^\+[1-9][0-9]{6,14}$/;
const SECRET_ARN_PATTERN =
  /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;
const AUDIENCE_PATTERN = /^[A-Za-z0-9._:/@-]{1,256}$/;
const ACCOUNT_PATTERN = /^\d{12}$/;
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d$/;

type Context = (key: string) => unknown;

/** Reads and validates the app configuration from the CDK context of `scope` (usually the App). */
export function loadConfig(scope: Construct): AppConfig {
  const context: Context = (key) => scope.node.tryGetContext(key);
  const errors: string[] = [];
  const collect = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (error) {
      if (error instanceof ConfigError) {
        errors.push(error.message);
        return undefined;
      }
      throw error;
    }
  };

  const stage = collect(() =>
    matching(
      context,
      'stage',
      STAGE_PATTERN,
      'dev',
      'lowercase letters, digits and "-", starting with a letter, at most 16 characters',
    ),
  );
  const mskClusterArn = collect(() =>
    optionalMatching(
      context,
      'mskClusterArn',
      MSK_CLUSTER_ARN_PATTERN,
      'an MSK cluster ARN (arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>)',
    ),
  );
  const mskBootstrapBrokers = collect(() =>
    optionalMatching(context, 'mskBootstrapBrokers', BROKERS_PATTERN, 'a comma-separated host:port list'),
  );
  const kafkaAuth = collect(() => oneOf(context, 'kafkaAuth', ['iam', 'none'] as const, 'iam'));
  const kafkaEventSources = collect(() =>
    oneOf(context, 'kafkaEventSources', ['msk', 'bridge'] as const, 'msk'),
  );
  const pspMode = collect(() => oneOf(context, 'pspMode', ['mock', 'live'] as const, 'mock'));
  const pspBaseUrl = collect(() =>
    optionalMatching(
      context,
      'pspBaseUrl',
      HTTPS_URL_PATTERN,
      'an https URL such as https://psp.example.com/v1',
    ),
  );
  const pspApiKeySecretArn = collect(() =>
    optionalMatching(
      context,
      'pspApiKeySecret',
      SECRET_ARN_PATTERN,
      'the full ARN of a Secrets Manager secret (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>)',
    ),
  );
  const notifyMode = collect(() => oneOf(context, 'notifyMode', ['mock', 'aws'] as const, 'mock'));
  const notifyFromEmail = collect(() =>
    optionalMatching(
      context,
      'notifyFromEmail',
      SENDER_EMAIL_PATTERN,
      'a plain email address such as orders@shop.example (no display name)',
    ),
  );
  const notifySesConfigurationSet = collect(() =>
    optionalMatching(
      context,
      'notifySesConfigurationSet',
      SES_CONFIGURATION_SET_PATTERN,
      'an SES configuration set name (letters, digits, "_" and "-", at most 64 characters)',
    ),
  );
  const notifySmsSenderId = collect(() =>
    optionalMatching(
      context,
      'notifySmsSenderId',
      SMS_SENDER_ID_PATTERN,
      'an SMS sender id of 3 to 11 letters and digits, at least one letter',
    ),
  );
  const notifySmsOriginationNumber = collect(() =>
    optionalMatching(
      context,
      'notifySmsOriginationNumber',
      E164_PATTERN,
      'a phone number in E.164 form such as +14155550100',
    ),
  );
  const authIssuer = collect(() =>
    optionalMatching(
      context,
      'authIssuer',
      HTTPS_URL_PATTERN,
      'an https URL such as https://login.example.com',
    ),
  );
  const authAudience = collect(() =>
    optionalMatching(context, 'authAudience', AUDIENCE_PATTERN, 'a client id or API identifier'),
  );
  const authJwksUri = collect(() =>
    optionalMatching(
      context,
      'authJwksUri',
      HTTPS_URL_PATTERN,
      'an https URL such as https://login.example.com/.well-known/jwks.json',
    ),
  );
  const selfSignUp = collect(() => oneOf(context, 'selfSignUp', ['true', 'false'] as const, 'false'));
  const alarmEmail = collect(() =>
    optionalMatching(context, 'alarmEmail', EMAIL_PATTERN, 'an email address'),
  );
  const account = collect(() =>
    optionalMatching(context, 'account', ACCOUNT_PATTERN, 'a 12-digit AWS account id'),
  );
  const region = collect(() =>
    optionalMatching(context, 'region', REGION_PATTERN, 'an AWS region such as eu-west-1'),
  );
  const apiThrottle = collect(() => throttle(context));

  if (mskBootstrapBrokers !== undefined && mskClusterArn === undefined) {
    errors.push('Context "mskBootstrapBrokers" only applies together with "mskClusterArn"');
  }
  if (kafkaAuth === 'none' && (mskClusterArn === undefined || mskBootstrapBrokers === undefined)) {
    errors.push(
      'Context "kafkaAuth=none" (plaintext) only applies to a bring-your-own cluster: set "mskClusterArn" and "mskBootstrapBrokers" too; a cluster created by the app always uses IAM',
    );
  }
  if (kafkaEventSources === 'bridge' && (mskClusterArn === undefined || mskBootstrapBrokers === undefined)) {
    errors.push(
      'Context "kafkaEventSources=bridge" only applies to a bring-your-own cluster: set "mskClusterArn" and "mskBootstrapBrokers" too (the bridge reads that cluster)',
    );
  }
  if (pspMode === 'live' && pspBaseUrl === undefined) {
    errors.push('Context "pspMode=live" needs "pspBaseUrl", the base URL of the PSP API');
  }
  if (pspMode === 'live' && pspApiKeySecretArn === undefined) {
    errors.push(
      'Context "pspMode=live" needs "pspApiKeySecret", the ARN of the Secrets Manager secret holding the PSP API key',
    );
  }
  if (pspMode === 'mock' && pspBaseUrl !== undefined) {
    errors.push('Context "pspBaseUrl" only applies together with "pspMode=live"');
  }
  if (pspMode === 'mock' && pspApiKeySecretArn !== undefined) {
    errors.push('Context "pspApiKeySecret" only applies together with "pspMode=live"');
  }
  if (pspMode === 'mock' && stage === 'prod') {
    errors.push(
      'Context "pspMode=mock" is not allowed with "stage=prod": the mock PSP authorizes test tokens without taking money. Deploy prod with -c pspMode=live -c pspBaseUrl=https://... -c pspApiKeySecret=arn:aws:secretsmanager:...',
    );
  }
  if (notifyMode === 'aws' && notifyFromEmail === undefined) {
    errors.push(
      'Context "notifyMode=aws" needs "notifyFromEmail", the sender address (it or its domain must be a verified Amazon SES identity)',
    );
  }
  if (notifyMode === 'mock') {
    for (const [key, value] of [
      ['notifyFromEmail', notifyFromEmail],
      ['notifySesConfigurationSet', notifySesConfigurationSet],
      ['notifySmsSenderId', notifySmsSenderId],
      ['notifySmsOriginationNumber', notifySmsOriginationNumber],
    ] as const) {
      if (value !== undefined) errors.push(`Context "${key}" only applies together with "notifyMode=aws"`);
    }
  }
  if ((authIssuer === undefined) !== (authAudience === undefined)) {
    errors.push(
      'Context "authIssuer" and "authAudience" go together: the OpenID Connect issuer and the audience its tokens carry',
    );
  }
  if (authJwksUri !== undefined && authIssuer === undefined) {
    errors.push('Context "authJwksUri" only applies together with "authIssuer"');
  }
  if (authIssuer !== undefined && selfSignUp === 'true') {
    errors.push('Context "selfSignUp" applies to the Cognito user pool, not to an OpenID Connect issuer');
  }
  if (
    errors.length > 0 ||
    stage === undefined ||
    kafkaAuth === undefined ||
    kafkaEventSources === undefined ||
    pspMode === undefined ||
    notifyMode === undefined ||
    apiThrottle === undefined
  ) {
    throw new ConfigError(`Invalid CDK context:\n  - ${errors.join('\n  - ')}`);
  }
  const auth: AuthConfig =
    authIssuer !== undefined && authAudience !== undefined
      ? {
          mode: 'oidc',
          issuer: authIssuer,
          audience: authAudience,
          ...(authJwksUri === undefined ? {} : { jwksUri: authJwksUri }),
        }
      : { mode: 'cognito', selfSignUp: selfSignUp === 'true' };
  const notify: NotifyConfig =
    notifyMode === 'aws' && notifyFromEmail !== undefined
      ? {
          mode: 'aws',
          fromEmail: notifyFromEmail,
          ...(notifySesConfigurationSet === undefined
            ? {}
            : { sesConfigurationSet: notifySesConfigurationSet }),
          ...(notifySmsSenderId === undefined ? {} : { smsSenderId: notifySmsSenderId }),
          ...(notifySmsOriginationNumber === undefined
            ? {}
            : { smsOriginationNumber: notifySmsOriginationNumber }),
        }
      : { mode: 'mock' };
  return {
    stage,
    kafkaAuth,
    kafkaEventSources,
    pspMode,
    notify,
    apiThrottle,
    auth,
    ...(mskClusterArn === undefined ? {} : { mskClusterArn }),
    ...(mskBootstrapBrokers === undefined ? {} : { mskBootstrapBrokers }),
    ...(pspBaseUrl === undefined ? {} : { pspBaseUrl }),
    ...(pspApiKeySecretArn === undefined ? {} : { pspApiKeySecretArn }),
    ...(alarmEmail === undefined ? {} : { alarmEmail }),
    ...(account === undefined ? {} : { account }),
    ...(region === undefined ? {} : { region }),
  };
}

/** Stateful resources (tables, log groups) survive stack deletion in prod and are removed elsewhere. */
export function removalPolicyFor(config: Pick<AppConfig, 'stage'>): RemovalPolicy {
  return config.stage === 'prod' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
}

/** Stack name prefix: `OrderSaga-<stage>`. */
export function stackPrefix(config: Pick<AppConfig, 'stage'>): string {
  return `OrderSaga-${config.stage}`;
}

/** A context value as a trimmed string; unset, null and empty values are `undefined`. */
function rawString(context: Context, key: string): string | undefined {
  const value = context(key);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new ConfigError(`Context "${key}" must be a string, got ${JSON.stringify(value)}`);
  }
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function optionalMatching(
  context: Context,
  key: string,
  pattern: RegExp,
  expected: string,
): string | undefined {
  const value = rawString(context, key);
  if (value !== undefined && !pattern.test(value)) {
    throw new ConfigError(`Context "${key}" must be ${expected}, got "${value}"`);
  }
  return value;
}

function matching(
  context: Context,
  key: string,
  pattern: RegExp,
  fallback: string,
  expected: string,
): string {
  return optionalMatching(context, key, pattern, expected) ?? fallback;
}

function oneOf<T extends string>(context: Context, key: string, allowed: readonly T[], fallback: T): T {
  const value = rawString(context, key);
  if (value === undefined) return fallback;
  const match = allowed.find((candidate) => candidate === value);
  if (match === undefined) {
    throw new ConfigError(`Context "${key}" must be one of ${allowed.join(', ')}, got "${value}"`);
  }
  return match;
}

/**
 * `apiThrottle` is an object (in cdk.json) or its JSON text (from `-c apiThrottle=...`); missing
 * fields keep their defaults.
 */
function throttle(context: Context): ApiThrottle {
  let value = context('apiThrottle');
  if (value === undefined || value === null || value === '') return DEFAULT_API_THROTTLE;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch (error) {
      throw new ConfigError(`Context "apiThrottle" must be a JSON object, got "${value}"`, { cause: error });
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`Context "apiThrottle" must be an object, got ${JSON.stringify(value)}`);
  }
  const input = value as Record<string, unknown>;
  const unknownKeys = Object.keys(input).filter((key) => !(key in DEFAULT_API_THROTTLE));
  if (unknownKeys.length > 0) {
    throw new ConfigError(
      `Context "apiThrottle" has unknown keys ${unknownKeys.join(', ')}; allowed: ${Object.keys(DEFAULT_API_THROTTLE).join(', ')}`,
    );
  }
  const field = (key: keyof ApiThrottle): number => {
    const raw = input[key] ?? DEFAULT_API_THROTTLE[key];
    const number = typeof raw === 'string' ? Number(raw) : raw;
    if (typeof number !== 'number' || !Number.isInteger(number) || number < 1 || number > 10_000) {
      throw new ConfigError(
        `Context "apiThrottle.${key}" must be an integer from 1 to 10000, got ${JSON.stringify(raw)}`,
      );
    }
    return number;
  };
  const result: ApiThrottle = {
    rateLimit: field('rateLimit'),
    burstLimit: field('burstLimit'),
    createOrderRateLimit: field('createOrderRateLimit'),
    createOrderBurstLimit: field('createOrderBurstLimit'),
  };
  if (result.createOrderRateLimit > result.rateLimit || result.createOrderBurstLimit > result.burstLimit) {
    throw new ConfigError('Context "apiThrottle": the POST /orders limits must not exceed the stage limits');
  }
  return result;
}
