import { Duration, type RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { type TopicName, Topics } from '#events';
import type { AnyContract, ServiceName } from '#platform/contract';
import { type AppConfig, removalPolicyFor } from '../config';
import { alarmAboveZero } from '../constructs/alarms';
import type { KafkaConnection } from '../constructs/kafka-connection';
import { KafkaConsumer, type KafkaConsumerProps } from '../constructs/kafka-consumer';
import { OutboxRelay, type OutboxRelayProps } from '../constructs/outbox-relay';
import { createOutboxTable } from '../constructs/outbox-table';
import { ServiceFunction, type ServiceFunctionProps } from '../constructs/service-function';
import { InfrastructureError } from '../errors';

/** The topic each service publishes its outbox to: the only topic its relay and sweeper may write. */
export const SERVICE_TOPICS: Partial<Record<ServiceName, TopicName>> = {
  orders: Topics.orders,
  inventory: Topics.inventory,
  payments: Topics.payments,
  notifications: Topics.notifications,
  shipping: Topics.shipping,
};

export interface ServiceStackProps extends StackProps {
  readonly config: AppConfig;
  readonly kafka: KafkaConnection;
  /** The shared dead-letter table (messaging stack), which every consumer writes to. */
  readonly deadLetters: dynamodb.ITable;
}

/**
 * The base of every service's stack: one service name for the stack, its functions, their logs,
 * metrics and consumer groups. It owns what each service has in the same shape: the service table
 * with its outbox relay (`addOutboxTable`), Kafka consumers (`addConsumer`), functions (`addFunction`) and the
 * alarms on all of them, which the observability stack wires to notifications.
 */
export abstract class ServiceStack extends Stack {
  readonly service: ServiceName;
  readonly config: AppConfig;
  readonly removalPolicy: RemovalPolicy;
  /** The relays of the service's outbox tables. */
  readonly outboxes: OutboxRelay[] = [];
  readonly consumers: KafkaConsumer[] = [];
  /** Alarms on the service's resources; notifications are wired by the observability stack. */
  readonly alarms: cloudwatch.Alarm[] = [];
  protected readonly kafka: KafkaConnection;
  protected readonly deadLetters: dynamodb.ITable;

  protected constructor(scope: Construct, id: string, service: ServiceName, props: ServiceStackProps) {
    super(scope, id, props);
    this.service = service;
    this.config = props.config;
    this.removalPolicy = removalPolicyFor(props.config);
    this.kafka = props.kafka;
    this.deadLetters = props.deadLetters;
  }

  /** Every function of the stack (the service's own, its relays and sweepers, custom resources). */
  get functions(): ServiceFunction[] {
    return this.node.findAll().filter((node): node is ServiceFunction => node instanceof ServiceFunction);
  }

  /** A service table that carries an outbox, and the relay and sweeper (`outboxId`) that publish it. */
  protected addOutboxTable(
    tableId: string,
    outboxId = 'Outbox',
    options: Omit<OutboxRelayProps, 'table' | 'serviceName' | 'kafka' | 'removalPolicy' | 'topics'> = {},
  ): { table: dynamodb.Table; outbox: OutboxRelay } {
    const topic = SERVICE_TOPICS[this.service];
    if (topic === undefined) throw new InfrastructureError(`${this.service} publishes to no topic`);
    const table = createOutboxTable(this, tableId, {
      removalPolicy: this.removalPolicy,
      deletionProtection: this.config.stage === 'prod',
    });
    const outbox = new OutboxRelay(this, outboxId, {
      table,
      serviceName: this.service,
      kafka: this.kafka,
      topics: [topic],
      removalPolicy: this.removalPolicy,
      ...options,
    });
    this.outboxes.push(outbox);
    this.alarms.push(...outbox.alarms);
    return { table, outbox };
  }

  /** A Kafka consumer of the service, with an alarm on its failing invocations. */
  protected addConsumer<C extends AnyContract>(
    id: string,
    props: Omit<KafkaConsumerProps<C>, 'kafka' | 'deadLetters' | 'removalPolicy'>,
  ): KafkaConsumer<C> {
    const consumer = new KafkaConsumer<C>(this, id, {
      ...props,
      kafka: this.kafka,
      deadLetters: this.deadLetters,
      removalPolicy: this.removalPolicy,
    } as KafkaConsumerProps<C>);
    this.consumers.push(consumer as unknown as KafkaConsumer);
    this.alarms.push(
      ...consumer.alarms,
      this.errorsAlarm(
        `${id}ErrorsAlarm`,
        consumer.fn,
        `${consumer.fn.label}: invocations fail (batches are retried; events may dead-letter)`,
      ),
    );
    return consumer;
  }

  /** A function of the service with the stack's log removal policy. */
  protected addFunction<C extends AnyContract>(
    id: string,
    props: ServiceFunctionProps<C>,
  ): ServiceFunction<C> {
    return new ServiceFunction<C>(this, id, { logRemovalPolicy: this.removalPolicy, ...props });
  }

  /** An alarm as soon as `fn` fails (unhandled errors, timeouts) in five minutes. */
  protected errorsAlarm(id: string, fn: ServiceFunction, description: string): cloudwatch.Alarm {
    return alarmAboveZero(
      this,
      id,
      description,
      fn.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
    );
  }
}
