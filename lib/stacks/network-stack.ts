import { Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { type AppConfig, removalPolicyFor } from '../config';

export interface NetworkStackProps extends StackProps {
  readonly config: AppConfig;
}

/**
 * The VPC that Kafka clients and MSK share: two AZs of isolated subnets, no NAT gateway and no
 * internet gateway. AWS APIs are reached through endpoints only:
 * - DynamoDB (gateway endpoint): the relay and sweeper read and update their tables;
 * - S3 (gateway endpoint): MSK event source mappings, whose pollers run in these subnets, write the
 *   batches they discard to their S3 on-failure destination (AWS requires an endpoint of the
 *   destination's service in the cluster's VPC);
 * - kafka: functions resolve bootstrap brokers with kafka:GetBootstrapBrokers;
 * - sts and lambda: MSK event source mappings of the consumer services run their pollers in these
 *   subnets and need both (there is no NAT to reach them otherwise);
 * - xray: trace segments of functions running in the VPC.
 * No SQS or CloudWatch Logs endpoint: stream on-failure records are sent by the Lambda service, the
 * Kafka mappings' destination is S3, and function logs are shipped by Lambda, not from inside the VPC.
 */
/** Address range of the VPC; the interface endpoints admit HTTPS from it. */
export const VPC_CIDR = '10.40.0.0/16';

export class NetworkStack extends Stack {
  readonly vpc: ec2.Vpc;
  /** Attached by every Kafka client; MSK admits it on the IAM listener. */
  readonly kafkaClientSecurityGroup: ec2.SecurityGroup;
  readonly isolatedSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(VPC_CIDR),
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 20 }],
      gatewayEndpoints: {
        DynamoDb: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
      },
    });
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: removalPolicyFor(props.config),
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });

    const interfaceEndpoints = {
      Kafka: ec2.InterfaceVpcEndpointAwsService.KAFKA,
      Sts: ec2.InterfaceVpcEndpointAwsService.STS,
      Lambda: ec2.InterfaceVpcEndpointAwsService.LAMBDA,
      XRay: ec2.InterfaceVpcEndpointAwsService.XRAY,
    };
    for (const [name, service] of Object.entries(interfaceEndpoints)) {
      const endpoint = this.vpc.addInterfaceEndpoint(`${name}Endpoint`, {
        service,
        subnets: this.isolatedSubnets,
        privateDnsEnabled: true,
        open: false,
      });
      endpoint.connections.allowFrom(ec2.Peer.ipv4(VPC_CIDR), ec2.Port.tcp(443), 'HTTPS from inside the VPC');
    }

    this.kafkaClientSecurityGroup = new ec2.SecurityGroup(this, 'KafkaClientSecurityGroup', {
      vpc: this.vpc,
      description: 'Kafka clients (outbox relays, sweepers, topic admin, MSK event source mappings)',
      allowAllOutbound: true,
    });
  }
}
