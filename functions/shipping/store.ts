import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DomainEvent } from '#events';
import { outboxUpdate, withOutbox } from '#platform/outbox/row';
import { type ShipmentItem, shipmentKey } from './model';

/**
 * Shipments in the service's own `shipping` table, each carrying the events of its last write
 * (`withOutbox`, `outboxUpdate`) for the table's outbox relay to publish to `shipping.events`.
 */
export class ShipmentStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(shipmentId: string): Promise<ShipmentItem | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: shipmentKey(shipmentId), ConsistentRead: true }),
    );
    return result.Item as ShipmentItem | undefined;
  }

  /** Puts a new shipment with its events; `EXISTS` when the order has a shipment (or a tombstone) already. */
  async create(item: ShipmentItem, events: readonly DomainEvent[]): Promise<'CREATED' | 'EXISTS'> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: withOutbox(item, events),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return 'CREATED';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'EXISTS';
      throw error;
    }
  }

  /**
   * Saves a shipment read at `version` with its new fields and events, conditioned on that version;
   * `STALE` when another write came first (read and decide again).
   */
  async save(
    before: Pick<ShipmentItem, 'shipmentId' | 'version'>,
    fields: Partial<Omit<ShipmentItem, 'pk' | 'sk' | 'entity' | 'shipmentId' | 'version'>>,
    events: readonly DomainEvent[],
  ): Promise<'SAVED' | 'STALE'> {
    const names: Record<string, string> = { '#version': 'version' };
    const values: Record<string, unknown> = { ':before': before.version, ':after': before.version + 1 };
    const sets = ['#version = :after'];
    for (const [index, [name, value]] of Object.entries(fields).entries()) {
      if (value === undefined) continue;
      names[`#f${index}`] = name;
      values[`:f${index}`] = value;
      sets.push(`#f${index} = :f${index}`);
    }
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: shipmentKey(before.shipmentId),
          ...outboxUpdate(
            {
              UpdateExpression: `SET ${sets.join(', ')}`,
              ConditionExpression: '#version = :before',
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
            },
            events,
          ),
        }),
      );
      return 'SAVED';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'STALE';
      throw error;
    }
  }
}
