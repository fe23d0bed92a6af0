import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { ProductItem } from '#functions/catalog/products';

/** The products of the orders in the API fixtures, as the products table holds them. */
export const MOUSE: ProductItem = {
  productId: '11111111-1111-1111-1111-111111111111',
  name: 'Wireless Mouse',
  priceMinor: 2999,
  currency: 'EUR',
  sellerId: 'seller-peripherals',
};

export const HUB: ProductItem = {
  productId: '33333333-3333-3333-3333-333333333333',
  name: 'USB-C Hub',
  priceMinor: 3999,
  currency: 'EUR',
  sellerId: 'seller-connectivity',
};

export const PRODUCTS: readonly ProductItem[] = [MOUSE, HUB];

/** Their stock items in the inventory table, as a BatchGet projecting `productId, stock` returns them. */
export const STOCK = [
  { productId: MOUSE.productId, stock: 25 },
  { productId: HUB.productId, stock: 10 },
] as const;

/** What DynamoDB throws when a TransactWriteItems call is cancelled, one reason code per item. */
export function transactionCanceled(...codes: string[]): TransactionCanceledException {
  return new TransactionCanceledException({
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
    $metadata: { httpStatusCode: 400 },
    CancellationReasons: codes.map((Code) =>
      Code === 'None' ? { Code } : { Code, Message: `${Code} on an item` },
    ),
  });
}
