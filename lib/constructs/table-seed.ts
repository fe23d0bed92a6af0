import { CustomResource, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { AnyContract } from '#platform/contract';
import { HandlerProvider } from './handler-provider';
import { ServiceFunction, type ServiceFunctionProps, type TablesOf } from './service-function';

export interface TableSeedProps<C extends AnyContract> {
  /** The seed function's contract (a custom resource `onEvent` handler). */
  readonly contract: C;
  readonly tables: TablesOf<C>;
  /** `Custom::<Name>` */
  readonly resourceType: string;
  /** The custom resource's properties: the data to seed (any change re-runs the seed). */
  readonly properties: Record<string, unknown>;
  readonly description: string;
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * Seeds a table on deploy: a custom resource whose properties are the data, handled by the seed
 * function of the owning service through the CDK Provider framework.
 */
export class TableSeed<C extends AnyContract> extends Construct {
  readonly handler: ServiceFunction<C>;
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: TableSeedProps<C>) {
    super(scope, id);
    this.handler = new ServiceFunction<C>(this, 'Handler', {
      contract: props.contract,
      tables: props.tables,
      description: props.description,
      timeout: Duration.minutes(2),
      logRemovalPolicy: props.logRemovalPolicy,
    } as unknown as ServiceFunctionProps<C>);
    const provider = new HandlerProvider(this, 'Provider', {
      onEvent: this.handler,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: props.resourceType,
      properties: props.properties,
    });
  }
}
