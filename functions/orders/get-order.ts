import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { type OrderItem, orderKey } from './model';

export async function getOrder(
  client: DynamoDBDocumentClient,
  tableName: string,
  orderId: string,
): Promise<OrderItem | undefined> {
  const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: orderKey(orderId) }));
  return Item as OrderItem | undefined;
}
