import { defineFunction } from '#platform/contract';

/**
 * The catalog: it writes the `products` table (only its seed does; orders read it for prices). Its
 * read functions also read the stock items of the inventory service's table (a cross-service read,
 * granted only on `STOCK#` keys).
 */

export const ListProductsFn = defineFunction({
  name: 'list-products',
  service: 'catalog',
  entry: 'catalog/handlers/list-products.ts',
  trigger: 'GET /products?limit=&cursor=',
  description: 'Lists the catalog, paginated, with the stock from the inventory table',
  tables: { PRODUCTS_TABLE_NAME: 'read', INVENTORY_TABLE_NAME: 'named' },
  metrics: {},
});

export const GetProductFn = defineFunction({
  name: 'get-product',
  service: 'catalog',
  entry: 'catalog/handlers/get-product.ts',
  trigger: 'GET /products/{productId}',
  description: 'Reads one product with its price, seller and stock',
  tables: { PRODUCTS_TABLE_NAME: 'read', INVENTORY_TABLE_NAME: 'named' },
  metrics: {},
});

export const SeedProductsFn = defineFunction({
  name: 'seed-products',
  service: 'catalog',
  entry: 'catalog/handlers/seed-products.ts',
  trigger: 'CloudFormation custom resource (Provider framework `onEvent`)',
  description: 'Seeds the product catalog on deploy',
  tables: { PRODUCTS_TABLE_NAME: 'readWrite' },
  metrics: {},
});

export const CreateProductFn = defineFunction({
  name: 'create-product',
  service: 'catalog',
  entry: 'catalog/handlers/create-product.ts',
  trigger: 'POST /admin/products',
  description:
    'Back office (admins group): adds a product to the catalog, with no stock until it is restocked',
  // Granted only PutItem: a new product.
  tables: { PRODUCTS_TABLE_NAME: 'named' },
  metrics: {},
});
