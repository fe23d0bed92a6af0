import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from './powertools';

/**
 * AWS SDK clients, created once per container. Endpoints come from the standard SDK configuration
 * (AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB, ...), which is also how the local runtime points them at
 * DynamoDB Local.
 */
export const dynamoDb = tracer.captureAWSv3Client(new DynamoDBClient({ maxAttempts: 3 }));

export const documentClient = DynamoDBDocumentClient.from(dynamoDb, {
  marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  unmarshallOptions: { wrapNumbers: false },
});
