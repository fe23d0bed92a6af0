import { StockLevels } from '#functions/inventory/stock';
import { documentClient } from '#platform/clients';
import { readEnv } from '#platform/env';
import { badRequest, notFound } from '#platform/errors';
import { apiHandler, json } from '#platform/http';
import { isValidParam } from '#platform/params';
import { GetProductFn } from '../contract';
import { ProductCatalog, ProductIdSchema, productView } from '../products';

const env = readEnv(GetProductFn);

const catalog = new ProductCatalog(documentClient, env.PRODUCTS_TABLE_NAME);
const stock = new StockLevels(documentClient, env.INVENTORY_TABLE_NAME);

/** GET /products/{productId} */
export const handler = apiHandler(async (event) => {
  const productId = event.pathParameters?.productId ?? '';
  if (!isValidParam(ProductIdSchema, productId)) {
    throw badRequest('INVALID_PRODUCT_ID', 'The product id is malformed', [
      { path: 'path.productId', message: '1-64 characters of letters, digits and . _ : @ -' },
    ]);
  }
  const product = await catalog.get(productId);
  if (!product) throw notFound(`Product ${productId} does not exist`);
  return json(200, productView(product, await stock.of([productId], { consistent: false })));
});
