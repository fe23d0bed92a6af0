import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InfrastructureError } from '../errors';
import { DATA_DIR } from '../paths';

export interface SeedProduct {
  readonly productId: string;
  readonly name: string;
  readonly priceMinor: number;
  readonly currency: string;
  readonly sellerId: string;
  readonly stock: number;
}

/**
 * Reads and checks the seed (`data/products.json` unless another file is given): the catalog entry
 * and the initial stock of each product. The catalog seeds the first, the inventory the second.
 */
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

/** A product as the catalog seed writes it: what it is, what it costs, who sells it. */
export const catalogEntries = (products: readonly SeedProduct[]) =>
  products.map(({ productId, name, priceMinor, currency, sellerId }) => ({
    productId,
    name,
    priceMinor,
    currency,
    sellerId,
  }));

/** The initial stock of each product, as the inventory seed writes it. */
export const stockEntries = (products: readonly SeedProduct[]) =>
  products.map(({ productId, stock }) => ({ productId, stock }));
