import { App, Stack, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { NotificationConsumerFn } from '#functions/notifications/contract';
import { HealthFn } from '#functions/orders/contract';
import { kafkaTopicArn } from '#lib/constructs/kafka-connection';
import { bindKafka, ServiceFunction } from '#lib/constructs/service-function';
import { InfrastructureError } from '#lib/errors';
import { defineFunction } from '#platform/contract';
import { OutboxRelayFn } from '#platform/outbox/contract';
import { buildTestApp, type TestApp } from './app-fixture';

let testApp: TestApp;

describe('App: buildApp', () => {
  beforeAll(() => {
    testApp = buildTestApp({ stage: 'qa' });
    for (const stack of Object.values(testApp.stacks)) testApp.template(stack);
  });

  it('names the stacks after the stage and keeps them environment-agnostic', () => {
    // Prepare
    const stacks = Object.values(testApp.stacks);

    // Act
    const names = stacks.map((stack) => stack.stackName);

    // Assess
    expect(names).toEqual([
      'OrderSaga-qa-Network',
      'OrderSaga-qa-Messaging',
      'OrderSaga-qa-Analytics',
      'OrderSaga-qa-Inventory',
      'OrderSaga-qa-Identity',
      'OrderSaga-qa-Orders',
      'OrderSaga-qa-MockPsp',
      'OrderSaga-qa-Payments',
      'OrderSaga-qa-Notifications',
      'OrderSaga-qa-Shipping',
      'OrderSaga-qa-Observability',
    ]);
    for (const stack of stacks) {
      expect(Token.isUnresolved(stack.account)).toBe(true);
      expect(Token.isUnresolved(stack.region)).toBe(true);
    }
  });

  it('tags every stack with the project and the stage', () => {
    // Prepare
    const { orders } = testApp.stacks;

    // Act
    const table = testApp.template(orders).findResources('AWS::DynamoDB::Table');

    // Assess
    for (const resource of Object.values(table)) {
      expect(resource.Properties.Tags).toEqual(
        expect.arrayContaining([
          { Key: 'project', Value: 'order-saga' },
          { Key: 'stage', Value: 'qa' },
        ]),
      );
    }
    // orders, products and customers: the saga consumer has no idempotency table (the mock PSP has its own stack)
    expect(Object.keys(table)).toHaveLength(3);
  });

  it('pins account and region when the context gives them', () => {
    // Prepare
    const pinned = buildTestApp({
      account: '123456789012',
      region: 'eu-west-1',
      'availability-zones:account=123456789012:region=eu-west-1': ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
    });

    // Act
    const envs = Object.values(pinned.stacks).map((stack) => [stack.account, stack.region]);

    // Assess
    expect(envs).toEqual(Array(Object.keys(pinned.stacks).length).fill(['123456789012', 'eu-west-1']));
  });
});

describe('Construct: ServiceFunction', () => {
  it('rejects an entry that does not exist', () => {
    // Prepare
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');

    // Act
    const contract = defineFunction({
      name: 'nope',
      service: 'orders',
      entry: 'orders/handlers/nope.ts',
      trigger: 'nothing',
      description: 'a function without a file',
      tables: {},
      metrics: {},
    });

    // Act
    const act = () => new ServiceFunction(stack, 'Missing', { contract, tables: {} });

    // Assess
    expect(act).toThrow(InfrastructureError);
    expect(act).toThrow('functions/orders/handlers/nope.ts does not exist');
  });

  it('needs a service for a contract that is deployed once per service', () => {
    // Prepare
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
    const table = new dynamodb.Table(stack, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      stream: dynamodb.StreamViewType.NEW_IMAGE,
    });

    // Act
    const act = () =>
      new ServiceFunction(stack, 'Relay', { contract: OutboxRelayFn, tables: { OUTBOX_TABLE_NAME: table } });

    // Assess
    expect(act).toThrow(InfrastructureError);
    expect(act).toThrow('relay is deployed per service; pass "service"');
  });

  it('rejects settings the contract does not declare, or declares otherwise', () => {
    // Prepare
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
    const table = new dynamodb.Table(stack, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    });
    const build = (id: string, settings: Record<string, unknown>) => () =>
      new ServiceFunction(stack, id, {
        contract: NotificationConsumerFn,
        tables: {
          NOTIFICATIONS_TABLE_NAME: table,
          IDEMPOTENCY_TABLE_NAME: table,
          DEAD_LETTER_TABLE_NAME: table,
        },
        settings,
      });

    // Act
    const unknown = build('Unknown', { NOPE: '1' });
    const outOfRange = build('OutOfRange', { NOTIFY_FAILURE_RATE: 2 });

    // Assess
    expect(unknown).toThrow('consumer does not declare NOPE');
    expect(outOfRange).toThrow(/consumer: invalid settings: NOTIFY_FAILURE_RATE/);
  });

  it('refuses Kafka access for a function outside the cluster VPC', () => {
    // Prepare
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, maxAzs: 2 });
    const connection = {
      clusterArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/c/uuid-1',
      clientSecurityGroup: new ec2.SecurityGroup(stack, 'Clients', { vpc }),
      vpc,
      subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    };
    const table = new dynamodb.Table(stack, 'Orders', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    });
    const fn = new ServiceFunction(stack, 'Outside', {
      contract: HealthFn,
      tables: { ORDERS_TABLE_NAME: table },
    });

    // Act
    const act = () => bindKafka(fn as lambda.Function, connection, 'produce', ['orders.events']);

    // Assess
    expect(act).toThrow(/must run in the cluster's VPC/);
  });

  it('derives topic ARNs from literal and token cluster ARNs', () => {
    // Prepare
    const stack = new Stack();
    const literal = 'arn:aws:kafka:eu-west-1:123456789012:cluster/name/uuid-1';
    const token = Token.asString({ Ref: 'Cluster' });

    // Act
    const fromLiteral = kafkaTopicArn(literal, 'orders.events');
    const fromToken = stack.resolve(kafkaTopicArn(token, 'orders.events'));

    // Assess
    expect(fromLiteral).toBe('arn:aws:kafka:eu-west-1:123456789012:topic/name/uuid-1/orders.events');
    expect(fromToken).toEqual({
      'Fn::Join': [
        '',
        [
          { 'Fn::Select': [0, { 'Fn::Split': [':cluster/', { Ref: 'Cluster' }] }] },
          ':topic/',
          { 'Fn::Select': [1, { 'Fn::Split': [':cluster/', { Ref: 'Cluster' }] }] },
          '/orders.events',
        ],
      ],
    });
    expect(() => kafkaTopicArn('arn:aws:sqs:eu-west-1:1:q', 't')).toThrow(InfrastructureError);
  });
});
