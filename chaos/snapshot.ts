import { paginateScan } from '@aws-sdk/lib-dynamodb';
import { STOCK_KEY_PREFIX } from '#functions/inventory/stock';
import type { AwsClients } from './aws';
import type {
  DeadLetter,
  Notification,
  OrderState,
  OutboxRow,
  ParkedRecord,
  Payment,
  PspPayment,
  Reservation,
  Snapshot,
} from './model';
import type { SystemMap, TableVariable } from './system';
import { emittedEvents } from './table-events';
import type { TopicWatcher } from './topics';

type Item = Record<string, unknown>;

async function scan(clients: AwsClients, table: string): Promise<Item[]> {
  const items: Item[] = [];
  for await (const page of paginateScan(
    { client: clients.dynamo, pageSize: 1000 },
    { TableName: table, ConsistentRead: true },
  ))
    items.push(...((page.Items ?? []) as Item[]));
  return items;
}

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
const afterHash = (value: unknown) => text(value)?.split('#').slice(1).join('#') ?? '';

/**
 * An event as the invariants read it: from a table's stream (what its relay publishes) or an outbox
 * row (spilled, redriven, quarantined); the envelope in `event` gives the type and payload. A row
 * says whether it was published; an event without a row counts as published (the relay writes a
 * row for what it cannot publish), and the topics, when watched, tell whether it really was.
 */
export function outboxRowOf(service: string, item: Item): OutboxRow {
  let envelope: { eventType?: string; payload?: Record<string, unknown> } = {};
  try {
    envelope = JSON.parse(String(item.event ?? '{}'));
  } catch {
    // a row whose envelope does not parse still counts by its keys
  }
  const row = item.entity === 'OUTBOX' && item.embedded === undefined;
  return {
    service,
    aggregateId: text(item.aggregateId) ?? afterHash(item.pk),
    eventId: text(item.eventId) ?? String(item.sk),
    eventType: text(item.eventType) ?? envelope.eventType ?? '?',
    topic: text(item.topic) ?? '?',
    published: !row || item.publishedAt !== undefined,
    ...(item.quarantinedAt !== undefined ? { quarantined: true } : {}),
    ...(envelope.payload ? { payload: envelope.payload } : {}),
  };
}

/** The service whose table a variable names (the outbox rows' owner). */
const OUTBOX_TABLES: readonly [TableVariable, string][] = [
  ['ORDERS_TABLE_NAME', 'orders'],
  ['INVENTORY_TABLE_NAME', 'inventory'],
  ['PAYMENTS_TABLE_NAME', 'payments'],
  ['NOTIFICATIONS_TABLE_NAME', 'notifications'],
];

/**
 * Reads the state the invariants judge: every table of the saga (stock in the inventory table), the
 * mock PSP's, and the topics.
 */
export async function takeSnapshot(
  clients: AwsClients,
  system: SystemMap,
  topics?: TopicWatcher,
): Promise<Snapshot> {
  const tableItems = async (variable: TableVariable) => {
    const name = system.tables[variable];
    return name ? scan(clients, name) : [];
  };
  const [orderItems, inventoryItems, paymentItems, notificationItems, deadLetterItems, pspItems] =
    await Promise.all([
      tableItems('ORDERS_TABLE_NAME'),
      tableItems('INVENTORY_TABLE_NAME'),
      tableItems('PAYMENTS_TABLE_NAME'),
      tableItems('NOTIFICATIONS_TABLE_NAME'),
      tableItems('DEAD_LETTER_TABLE_NAME'),
      tableItems('PSP_TABLE_NAME'),
    ]);
  const byTable: Record<string, Item[]> = {
    ORDERS_TABLE_NAME: orderItems,
    INVENTORY_TABLE_NAME: inventoryItems,
    PAYMENTS_TABLE_NAME: paymentItems,
    NOTIFICATIONS_TABLE_NAME: notificationItems,
  };
  const outbox: OutboxRow[] = (
    await Promise.all(
      OUTBOX_TABLES.map(async ([variable, service]) => {
        const rows = (byTable[variable] ?? []).filter((item) => item.entity === 'OUTBOX');
        const name = system.tables[variable];
        const streamed = name ? await emittedEvents(clients.tables, clients.streams, name) : [];
        // A row (spilled, quarantined) knows more than the stream record of the event it holds.
        const withRow = new Set(rows.map((item) => String(item.eventId ?? item.sk)));
        return [
          ...rows.map((item) => outboxRowOf(service, item)),
          ...streamed
            .filter((event) => !withRow.has(String(event.eventId)))
            .map((event) => outboxRowOf(service, event)),
        ];
      }),
    )
  ).flat();
  const orders: OrderState[] = orderItems
    .filter((item) => item.entity === 'ORDER')
    .map((item) => ({
      orderId: text(item.orderId) ?? afterHash(item.pk),
      status: String(item.status),
      ...(text(item.customerId) ? { customerId: text(item.customerId) } : {}),
    }));
  const reservations: Reservation[] = inventoryItems
    .filter((item) => item.entity === 'RESERVATION')
    .map((item) => ({
      orderId: text(item.orderId) ?? afterHash(item.pk),
      status: String(item.status),
      lines: ((item.lines as Item[] | undefined) ?? []).map((line) => ({
        productId: String(line.productId),
        quantity: Number(line.quantity),
      })),
    }));
  const payments: Payment[] = paymentItems
    .filter((item) => item.entity === 'PAYMENT')
    .map((item) => ({
      paymentId: text(item.paymentId) ?? afterHash(item.pk),
      orderId: String(item.orderId),
      status: String(item.status),
    }));
  const notifications: Notification[] = notificationItems
    .filter((item) => item.entity === 'NOTIFICATION')
    .map((item) => ({
      notificationId: String(item.notificationId),
      orderId: String(item.orderId),
      template: String(item.template),
      channel: String(item.channel),
      status: String(item.status),
    }));
  const deadLetters: DeadLetter[] = deadLetterItems
    .filter((item) => item.entity === 'DEADLETTER')
    .map((item) => ({
      id: afterHash(item.pk),
      service: String(item.service),
      topic: String(item.topic),
      key: String(item.key ?? ''),
      ...(text(item.aggregateId) ? { aggregateId: text(item.aggregateId) } : {}),
      ...(text(item.eventId) ? { eventId: text(item.eventId) } : {}),
      errorKind: String(item.errorKind),
      status: String(item.status),
    }));
  const parked: ParkedRecord[] = deadLetterItems
    .filter((item) => item.entity === 'PARKED')
    .map((item) => ({
      service: String(item.parkedService ?? item.service),
      eventId: String(item.eventId),
      ...(text(item.aggregateId) ? { aggregateId: text(item.aggregateId) } : {}),
    }));
  const psp: PspPayment[] | undefined = system.tables.PSP_TABLE_NAME
    ? pspItems.map((item) => ({
        paymentId: String(item.paymentId),
        ...(text(item.status) ? { status: text(item.status) } : {}),
      }))
    : undefined;
  return {
    orders,
    outbox,
    reservations,
    stock: stockOf(inventoryItems),
    payments,
    ...(psp ? { psp } : {}),
    notifications,
    deadLetters,
    parked,
    ...(topics ? { topics: [...topics.messages] } : {}),
  };
}

/**
 * Stock per product, where the inventory service keeps it: its table's stock items
 * (`STOCK#<productId>` / `STOCK`, the only writer being the inventory service; the catalog reads them).
 */
export function stockOf(inventoryItems: readonly Item[]): Map<string, number> {
  const stock = new Map<string, number>();
  for (const item of inventoryItems) {
    const pk = text(item.pk);
    if (!pk?.startsWith(STOCK_KEY_PREFIX) || item.sk !== 'STOCK') continue;
    stock.set(text(item.productId) ?? pk.slice(STOCK_KEY_PREFIX.length), Number(item.stock ?? 0));
  }
  return stock;
}

/** Units per product in stock or held by a reservation: what conservation of stock compares with. */
export function stockAndHeld(snapshot: Snapshot): Map<string, number> {
  const units = new Map(snapshot.stock);
  for (const reservation of snapshot.reservations) {
    if (reservation.status !== 'RESERVED') continue;
    for (const line of reservation.lines)
      units.set(line.productId, (units.get(line.productId) ?? 0) + line.quantity);
  }
  return units;
}
