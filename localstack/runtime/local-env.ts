import { LOCAL_REGION } from './resolve';

export interface LocalEndpoints {
  dynamoDb: string;
  kafkaBootstrap: string;
  stepFunctions: string;
  /** Base URL of the main local REST API; replaces execute-api URLs of APIs not in `apis`. */
  api: string;
  /** Base URL of each local REST API by API id: replaces that API's execute-api URL in variables. */
  apis?: Readonly<Record<string, string>>;
  /** The control plane (Lambda and Kafka APIs), when the runtime serves one. */
  controlPlane?: string;
  /** The local S3 API, when the runtime serves one. */
  s3?: string;
}

const EXECUTE_API_URL = /https:\/\/([A-Za-z0-9]+)\.execute-api\.[a-z0-9-]+\.amazonaws\.com\/[^/]+\/?/g;

/**
 * The environment a function gets locally: the template's variables, plus the standard AWS SDK
 * settings that point clients at the local engines (AWS_ENDPOINT_URL_*), plus the Kafka connection
 * of the mock cluster. Functions have no code path that exists only locally; this is all config.
 */
export function localEnvironment(
  templateEnv: Record<string, string>,
  fn: { name: string; memoryMb: number; timeoutMs: number },
  endpoints: LocalEndpoints,
  overrides: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = Object.fromEntries(
    Object.entries(templateEnv).map(([key, value]) => [
      key,
      value.replace(EXECUTE_API_URL, (_, apiId: string) => `${endpoints.apis?.[apiId] ?? endpoints.api}/`),
    ]),
  );
  if ('KAFKA_BOOTSTRAP_BROKERS' in env || 'MSK_CLUSTER_ARN' in env) {
    env.KAFKA_BOOTSTRAP_BROKERS = endpoints.kafkaBootstrap;
    env.KAFKA_AUTH = 'none';
    // The mock cluster reports controller id 0 and rejects idempotent producers.
    env.KAFKA_IDEMPOTENT_PRODUCER = 'false';
  }
  // Locally nothing is delivered: the notification service records what it would send, even from a
  // template synthesized with notifyMode=aws (there is no local SES or SNS).
  if ('NOTIFY_MODE' in env) env.NOTIFY_MODE = 'mock';
  return {
    ...env,
    ...overrides,
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamoDb,
    AWS_ENDPOINT_URL_DYNAMODB_STREAMS: endpoints.dynamoDb,
    AWS_ENDPOINT_URL_SFN: endpoints.stepFunctions,
    ...(endpoints.controlPlane
      ? {
          AWS_ENDPOINT_URL_LAMBDA: endpoints.controlPlane,
          AWS_ENDPOINT_URL_KAFKA: endpoints.controlPlane,
          AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.controlPlane,
          AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: endpoints.controlPlane,
        }
      : {}),
    ...(endpoints.s3 ? { AWS_ENDPOINT_URL_S3: endpoints.s3 } : {}),
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
    POWERTOOLS_TRACE_ENABLED: 'false',
    AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
    TZ: 'UTC',
  };
}
