import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CustomResource, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { SeedProductsFn } from '#functions/catalog/contract';
import { InfrastructureError } from '../errors';
import { DATA_DIR } from '../paths';
import { HandlerProvider } from './handler-provider';
import { ServiceFunction } from './service-function';

export interface SeedProduct {
  readonly productId: string;
  readonly name: string;
  readonly priceMinor: number;
  readonly currency: string;
  readonly sellerId: string;
  readonly stock: number;
}

/** Reads and checks the catalog seed (`data/products.json` unless another file is given). */
export function loadSeedCatalog(file = join(DATA_DIR, 'products.json')): SeedProduct[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new InfrastructureError(`Cannot read the catalog seed ${file}`, { cause: error });
  }
  if (!Array.isArray(parsed)) throw new InfrastructureError(`${file} must hold a JSON array of products`);
  const seen = new Set<string>();
  return parsed.map((item: unknown, index) => {
    const product = item as Partial<SeedProduct> | null;
    const valid =
      product !== null &&
      typeof product === 'object' &&
      typeof product.productId === 'string' &&
      product.productId !== '' &&
      typeof product.name === 'string' &&
      Number.isSafeInteger(product.priceMinor) &&
      (product.priceMinor ?? -1) >= 0 &&
      typeof product.currency === 'string' &&
      /^[A-Z]{3}$/.test(product.currency) &&
      typeof product.sellerId === 'string' &&
      Number.isSafeInteger(product.stock) &&
      (product.stock ?? -1) >= 0;
    if (!valid) throw new InfrastructureError(`${file}: product #${index} is malformed`);
    const seed = product as SeedProduct;
    if (seen.has(seed.productId))
      throw new InfrastructureError(`${file}: duplicate productId ${seed.productId}`);
    seen.add(seed.productId);
    return {
      productId: seed.productId,
      name: seed.name,
      priceMinor: seed.priceMinor,
      currency: seed.currency,
      sellerId: seed.sellerId,
      stock: seed.stock,
    };
  });
}

export interface ProductSeedProps {
  readonly table: dynamodb.ITable;
  readonly products: readonly SeedProduct[];
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * Seeds the products table: a `Custom::SeedProducts` resource whose `Products` property is the whole
 * catalog, so any catalog change re-runs the seed. Handled by
 * `functions/catalog/handlers/seed-products.ts`.
 */
export class ProductSeed extends Construct {
  readonly handler: ServiceFunction<typeof SeedProductsFn>;
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: ProductSeedProps) {
    super(scope, id);
    this.handler = new ServiceFunction(this, 'Handler', {
      contract: SeedProductsFn,
      tables: { PRODUCTS_TABLE_NAME: props.table },
      description: 'Seeds the product catalog (Custom::SeedProducts onEvent)',
      timeout: Duration.minutes(2),
      logRemovalPolicy: props.logRemovalPolicy,
    });
    const provider = new HandlerProvider(this, 'Provider', {
      onEvent: this.handler,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::SeedProducts',
      properties: { Products: props.products.map((product) => ({ ...product })) },
    });
  }
}
