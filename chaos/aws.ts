import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { KafkaClient } from '@aws-sdk/client-kafka';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Where the AWS APIs are: the defaults of the AWS SDK (region and credentials from the environment)
 * for a deployed stage, or the local runtime's endpoints (its control plane serves Lambda, Kafka and
 * Cognito, DynamoDB Local the tables) with dummy credentials.
 */
export interface AwsAccess {
  region?: string;
  /** Lambda, Kafka and Cognito APIs (the local control plane). */
  controlPlaneUrl?: string;
  dynamoDbEndpoint?: string;
}

export interface AwsClients {
  lambda: LambdaClient;
  kafka: KafkaClient;
  /** The user pool's API, for signing customers in (`InitiateAuth`). */
  cognito: CognitoIdentityProviderClient;
  dynamo: DynamoDBDocumentClient;
  /** The tables' own API (DescribeTable) and their streams, for the events the tables emitted. */
  tables: DynamoDBClient;
  streams: DynamoDBStreamsClient;
  region: string;
  destroy(): void;
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export function awsClients(access: AwsAccess): AwsClients {
  const region = access.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const local = access.controlPlaneUrl !== undefined;
  const common = { region, ...(local ? { credentials: LOCAL_CREDENTIALS } : {}), maxAttempts: 5 };
  const lambda = new LambdaClient({
    ...common,
    ...(access.controlPlaneUrl ? { endpoint: access.controlPlaneUrl } : {}),
  });
  const kafka = new KafkaClient({
    ...common,
    ...(access.controlPlaneUrl ? { endpoint: access.controlPlaneUrl } : {}),
  });
  const cognito = new CognitoIdentityProviderClient({
    ...common,
    ...(access.controlPlaneUrl ? { endpoint: access.controlPlaneUrl } : {}),
  });
  const dynamoClient = new DynamoDBClient({
    ...common,
    ...(access.dynamoDbEndpoint ? { endpoint: access.dynamoDbEndpoint } : {}),
  });
  const dynamo = DynamoDBDocumentClient.from(dynamoClient, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const streams = new DynamoDBStreamsClient({
    ...common,
    ...(access.dynamoDbEndpoint ? { endpoint: access.dynamoDbEndpoint } : {}),
  });
  return {
    lambda,
    kafka,
    cognito,
    dynamo,
    tables: dynamoClient,
    streams,
    region,
    destroy: () => {
      streams.destroy();
      lambda.destroy();
      kafka.destroy();
      cognito.destroy();
      dynamo.destroy();
      dynamoClient.destroy();
    },
  };
}
