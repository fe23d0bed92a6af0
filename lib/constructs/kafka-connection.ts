import { Fn, Token } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { KafkaAuth, KafkaEventSources } from '../config';
import { InfrastructureError } from '../errors';

/**
 * How functions reach Kafka: the MSK cluster (created by the messaging stack or brought by the user),
 * and the network placement that can reach its brokers.
 */
export interface KafkaConnection {
  /** ARN of the MSK cluster; IAM policies and `MSK_CLUSTER_ARN` are derived from it. */
  readonly clusterArn: string;
  /** Cluster name, when known at synth time. */
  readonly clusterName?: string;
  /** Comma-separated `host:port` list; when unset, functions resolve it with kafka:GetBootstrapBrokers. */
  readonly bootstrapBrokers?: string;
  /** How clients authenticate (`KAFKA_AUTH`). @default 'iam' */
  readonly auth?: KafkaAuth;
  /** What triggers the consumers: MSK event source mappings, or a bridge outside AWS. @default 'msk' */
  readonly eventSources?: KafkaEventSources;
  /** Security group that the cluster admits on the IAM listener (9098); Kafka clients attach it. */
  readonly clientSecurityGroup: ec2.ISecurityGroup;
  readonly vpc: ec2.IVpc;
  /** Subnets Kafka clients run in. */
  readonly subnets: ec2.SubnetSelection;
  /**
   * The provisioned poller group every MSK event source mapping of the app joins (`PollerGroupName`):
   * the mappings share their event poller units instead of holding at least one each. AWS allows up
   * to 100 mappings per group, within the cluster's VPC. Unset: each mapping has dedicated pollers.
   */
  readonly pollerGroupName?: string;
}

/** The port of the MSK IAM (SASL/OAUTHBEARER over TLS) listener. */
export const MSK_IAM_PORT = 9098;

const ARN_PATTERN = /^(arn:[^:]+:kafka:[^:]*:[^:]*):cluster\/([^/]+)\/([^/]+)$/;

/**
 * ARN of a topic (or a `*` pattern) of the cluster: `arn:...:topic/<clusterName>/<clusterUuid>/<topic>`.
 * Works for literal ARNs (bring-your-own cluster) and for tokens (a cluster created in the app), where
 * the prefix and `<clusterName>/<clusterUuid>` are split out of the ARN at deploy time.
 */
export function kafkaTopicArn(clusterArn: string, topic: string): string {
  return kafkaResourceArn(clusterArn, 'topic', topic);
}

/** ARN of a consumer group of the cluster: `arn:...:group/<clusterName>/<clusterUuid>/<group>`. */
export function kafkaGroupArn(clusterArn: string, group: string): string {
  return kafkaResourceArn(clusterArn, 'group', group);
}

function kafkaResourceArn(clusterArn: string, kind: 'topic' | 'group', name: string): string {
  if (Token.isUnresolved(clusterArn)) {
    // "<arn:partition:kafka:region:account>:cluster/<clusterName>/<clusterUuid>", split at deploy time.
    const [prefix, clusterPath] = Fn.split(':cluster/', clusterArn, 2);
    if (prefix === undefined || clusterPath === undefined) {
      throw new InfrastructureError('Cannot split the MSK cluster ARN token');
    }
    return `${prefix}:${kind}/${clusterPath}/${name}`;
  }
  const match = ARN_PATTERN.exec(clusterArn);
  if (!match) {
    throw new InfrastructureError(`Not an MSK cluster ARN: "${clusterArn}"`);
  }
  const [, prefix, clusterName, clusterUuid] = match;
  return `${prefix}:${kind}/${clusterName}/${clusterUuid}/${name}`;
}

/** The cluster name of a literal MSK cluster ARN. */
export function clusterNameOf(clusterArn: string): string {
  const match = ARN_PATTERN.exec(clusterArn);
  if (!match?.[2]) {
    throw new InfrastructureError(`Not an MSK cluster ARN: "${clusterArn}"`);
  }
  return match[2];
}
