import * as z from 'zod';
import { defineConsumer } from '#platform/consumer/contract';
import { defineFunction, setting } from '#platform/contract';

/** The order service: it writes the `orders` table (orders, idempotency records, outbox). */

export const CreateOrderFn = defineFunction({
  name: 'create-order',
  service: 'orders',
  entry: 'orders/handlers/create-order.ts',
  trigger: 'POST /orders',
  description:
    "Places an order of an active customer: prices it from the catalog, keeps the customer's contact details, one transaction with its event and key",
  // The customer's profile: may they order, and who to notify (read only).
  tables: { ORDERS_TABLE_NAME: 'readWrite', PRODUCTS_TABLE_NAME: 'read', CUSTOMERS_TABLE_NAME: 'read' },
  metrics: { OrdersCreated: 'Count', IdempotentReplays: 'Count' },
});

export const GetOrderFn = defineFunction({
  name: 'get-order',
  service: 'orders',
  entry: 'orders/handlers/get-order.ts',
  trigger: 'GET /orders/{orderId}',
  description: "Reads one of the caller's orders with its status history",
  tables: { ORDERS_TABLE_NAME: 'read' },
  metrics: {},
});

export const CancelOrderFn = defineFunction({
  name: 'cancel-order',
  service: 'orders',
  entry: 'orders/handlers/cancel-order.ts',
  trigger: 'POST /orders/{orderId}/cancel',
  description:
    "Cancels one of the caller's orders until it ships, with its compensations in the same conditional write",
  // Granted only GetItem and UpdateItem on order items.
  tables: { ORDERS_TABLE_NAME: 'named' },
  metrics: {},
});

export const ListOrdersFn = defineFunction({
  name: 'list-orders',
  service: 'orders',
  entry: 'orders/handlers/list-orders.ts',
  trigger: 'GET /orders?limit=&cursor=',
  description:
    "Lists the caller's own orders, newest first: a page of keys from the byCustomer index, the orders in one BatchGetItem",
  // Granted only Query on the `byCustomer` index and BatchGetItem on order items.
  tables: { ORDERS_TABLE_NAME: 'named' },
  metrics: {},
});

export const GetCartFn = defineFunction({
  name: 'get-cart',
  service: 'orders',
  entry: 'orders/handlers/get-cart.ts',
  trigger: 'GET /cart',
  description: "Reads the caller's cart, priced from the catalog now",
  // Granted only GetItem on cart items.
  tables: { ORDERS_TABLE_NAME: 'named', PRODUCTS_TABLE_NAME: 'read' },
  metrics: {},
});

export const SetCartItemFn = defineFunction({
  name: 'set-cart-item',
  service: 'orders',
  entry: 'orders/handlers/set-cart-item.ts',
  trigger: 'PUT /cart/items/{productId}',
  description:
    "Sets the quantity of a catalog product in the caller's cart (0 removes it), conditioned on the cart's version",
  // Granted only GetItem, PutItem and DeleteItem on cart items.
  tables: { ORDERS_TABLE_NAME: 'named', PRODUCTS_TABLE_NAME: 'read' },
  metrics: {},
});

export const ClearCartFn = defineFunction({
  name: 'clear-cart',
  service: 'orders',
  entry: 'orders/handlers/clear-cart.ts',
  trigger: 'DELETE /cart',
  description: "Empties the caller's cart",
  // Granted only DeleteItem on cart items.
  tables: { ORDERS_TABLE_NAME: 'named' },
  metrics: {},
});

export const CheckoutFn = defineFunction({
  name: 'checkout',
  service: 'orders',
  entry: 'orders/handlers/checkout.ts',
  trigger: 'POST /cart/checkout',
  description:
    "Turns the caller's cart into an order as POST /orders places one, and deletes the cart in the order's transaction",
  // Granted only what the checkout reads and writes: the cart (get, delete), the key record (get,
  // put) and the order (put). The customer's profile is read as POST /orders reads it.
  tables: { ORDERS_TABLE_NAME: 'named', PRODUCTS_TABLE_NAME: 'read', CUSTOMERS_TABLE_NAME: 'read' },
  // The same metrics as POST /orders (service `orders`): the dashboards count every order created.
  metrics: { OrdersCreated: 'Count', IdempotentReplays: 'Count' },
});

export const HealthFn = defineFunction({
  name: 'health',
  service: 'orders',
  entry: 'orders/handlers/health.ts',
  trigger: 'GET /health',
  description: 'Reports whether the function runs and its table answers',
  tables: { ORDERS_TABLE_NAME: 'read' },
  metrics: {},
});

export const OpenApiFn = defineFunction({
  name: 'openapi',
  service: 'orders',
  entry: 'orders/handlers/openapi.ts',
  trigger: 'GET /openapi.json',
  description: "Serves the API's OpenAPI 3.1 document, generated from the handlers' zod schemas",
  tables: {},
  metrics: {},
});

export const SagaConsumerFn = defineConsumer({
  name: 'saga',
  service: 'orders',
  entry: 'orders/handlers/saga-consumer.ts',
  description: 'Order saga: inventory, payment and shipping events drive the order state machine',
  consumes: [
    'StockReserved',
    'StockRejected',
    'PaymentPending',
    'PaymentSucceeded',
    'PaymentFailed',
    'PaymentVoided',
    'PaymentRefunded',
    'OrderShipped',
    'OrderDelivered',
  ],
  tables: { ORDERS_TABLE_NAME: 'readWrite' },
  // No idempotency record per event: `applySagaEvent` decides from the order it read and saves with
  // one update conditioned on that status and version, so a redelivered or concurrent event that the
  // order is past (or already applied) changes nothing.
  idempotency: 'handler',
  metrics: { OrdersConfirmed: 'Count', OrdersCancelled: 'Count', SagaDurationMs: 'Milliseconds' },
});

export const OrderReconcilerFn = defineFunction({
  name: 'reconciler',
  service: 'orders',
  entry: 'orders/handlers/reconciler.ts',
  trigger: 'schedule (every 5 minutes)',
  description: 'Cancels orders that stopped moving (TIMED_OUT) and compensates what they hold',
  tables: { ORDERS_TABLE_NAME: 'readWrite' },
  settings: z.object({
    ORDER_TIMEOUT_SECONDS: setting
      .int(1800, { min: 1 })
      .describe('age after which an order that is not finished is timed out (above the payment deadline)'),
  }),
  metrics: { OrdersTimedOut: 'Count' },
});
