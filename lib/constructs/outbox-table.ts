import type { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { UNPUBLISHED_INDEX_NAME } from './outbox-relay';

export interface OutboxTableProps {
  readonly removalPolicy: RemovalPolicy;
  readonly deletionProtection: boolean;
}

/**
 * A service table that carries outbox rows next to its own items: keys `pk`/`sk`, a stream of new and old
 * images for the relay (it publishes the outbox entries an item gained), TTL on `expiresAt`, and the sparse `unpublished` index the sweeper reads (see
 * docs/architecture.md). On-demand, point-in-time recovery, encrypted.
 */
export function createOutboxTable(scope: Construct, id: string, props: OutboxTableProps): dynamodb.Table {
  const table = new dynamodb.Table(scope, id, {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    timeToLiveAttribute: 'expiresAt',
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    deletionProtection: props.deletionProtection,
    removalPolicy: props.removalPolicy,
  });
  table.addGlobalSecondaryIndex({
    indexName: UNPUBLISHED_INDEX_NAME,
    partitionKey: { name: 'unpublishedShard', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'createdAt', type: dynamodb.AttributeType.STRING },
    projectionType: dynamodb.ProjectionType.ALL,
  });
  return table;
}
