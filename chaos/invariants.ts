import type { Scope, Snapshot } from './model';

/**
 * The steady-state hypothesis of the saga, as counts that must all be zero (and every order
 * terminal) once the system is quiet after a fault. Each is computed from the tables, the PSP and,
 * when the tool reaches the cluster, the topics.
 */
export interface Verdict {
  /** Orders the scenario placed (accepted by the API). */
  orders: number;
  /** Of those, CONFIRMED or CANCELLED. */
  terminal: number;
  /**
   * Events that never had their effect: outbox rows not published, published rows missing from their
   * topic, an OrderCreated without a reservation, a reservation without a payment, a finished order
   * without its notification, a poison record a consumer did not dead-letter.
   */
  lostEvents: number;
  /** Orders with more than one StockReserved event (distinct eventIds). */
  doubleReservations: number;
  /** Orders with more than one StockReleased event. */
  doubleReleases: number;
  /** Units per product that appeared or vanished: (stock + held by reservations) against the start. */
  stockDrift: number;
  /** Units sold that were not in stock: the sum of every product's stock below zero. */
  oversold: number;
  /** CANCELLED orders whose reservation still holds its stock (RESERVED, never released). */
  unreleasedReservations: number;
  /** Orders charged more than once at the PSP, or with more than one PaymentSucceeded. */
  doubleCharges: number;
  /** CANCELLED orders whose money the PSP still holds (captured or authorized, not voided or refunded). */
  chargesOnCancelled: number;
  /** Notifications (order, template, channel) recorded or published more than once. */
  duplicateNotifications: number;
  /** Dead letters of the scenario's orders, and records still parked. */
  openDeadLetters: number;
  /** Dead letters the scenario asked for (its poison records). */
  expectedDeadLetters: number;
  /** What was violated, one line each. */
  findings: string[];
}

/** PSP and payment statuses that hold no money. */
const NO_MONEY = new Set([
  'DECLINED',
  'INSUFFICIENT_FUNDS',
  'VOIDED',
  'REFUNDED',
  'FAILED',
  'CANCELLED',
  'EXPIRED',
  'AUTHORIZING',
]);
const CHARGED = new Set(['SUCCEEDED', 'CAPTURED', 'SETTLED']);

/**
 * The money a PSP status stands for: `charged` (captured), `held` (authorized or pending, not yet
 * captured or released) or `none` (refused, voided, refunded, never accepted). Unknown statuses count
 * as held, so a new money state is never taken for "no money".
 */
export function moneyState(status: string | undefined): 'charged' | 'held' | 'none' {
  if (status === undefined || NO_MONEY.has(status)) return 'none';
  return CHARGED.has(status) ? 'charged' : 'held';
}

const TERMINAL = new Set(['CONFIRMED', 'CANCELLED']);
const NOTIFICATION_TEMPLATE: Readonly<Record<string, string>> = {
  CONFIRMED: 'ORDER_CONFIRMED',
  CANCELLED: 'ORDER_CANCELLED',
};
/** Reservations that followed a StockReserved, so the payment service saw one. */
const RESERVED_ONCE = new Set(['RESERVED', 'RELEASED']);

/** Distinct eventIds of one event type per aggregate, from the outbox rows and the topics together. */
function eventIdsByOrder(
  snapshot: Snapshot,
  eventType: string,
  keyOf: (payload: Record<string, unknown> | undefined, aggregateId: string) => string,
): Map<string, Set<string>> {
  const byKey = new Map<string, Set<string>>();
  const add = (key: string, eventId: string) => {
    const ids = byKey.get(key) ?? new Set<string>();
    ids.add(eventId);
    byKey.set(key, ids);
  };
  for (const row of snapshot.outbox)
    if (row.eventType === eventType) add(keyOf(row.payload, row.aggregateId), row.eventId);
  for (const message of snapshot.topics ?? [])
    if (message.eventType === eventType && message.eventId)
      add(keyOf(message.payload, message.key), message.eventId);
  return byKey;
}

/** Judges the state of the system against the scenario's scope. */
export function judge(snapshot: Snapshot, scope: Scope): Verdict {
  const findings: string[] = [];
  const inScope = (orderId: string | undefined) => orderId !== undefined && scope.orderIds.has(orderId);
  const orders = snapshot.orders.filter((order) => inScope(order.orderId));
  const ordersById = new Map(orders.map((order) => [order.orderId, order]));

  // Orders ----------------------------------------------------------------------------------------
  let terminal = 0;
  for (const orderId of scope.orderIds) {
    const order = ordersById.get(orderId);
    if (order && TERMINAL.has(order.status)) terminal++;
    else findings.push(`order ${orderId} is ${order?.status ?? 'missing'}, not CONFIRMED or CANCELLED`);
  }

  // Lost events -----------------------------------------------------------------------------------
  let lostEvents = 0;
  const lost = (finding: string) => {
    lostEvents++;
    findings.push(finding);
  };
  const rows = snapshot.outbox.filter((row) => inScope(row.aggregateId));
  for (const row of rows)
    if (!row.published && !row.quarantined)
      lost(
        `${row.service} outbox row ${row.eventType} ${row.eventId} of ${row.aggregateId} is not published`,
      );
  if (snapshot.topics) {
    const seen = new Set(snapshot.topics.map((message) => `${message.topic}/${message.eventId}`));
    for (const row of rows)
      if (row.published && !seen.has(`${row.topic}/${row.eventId}`))
        lost(
          `${row.eventType} ${row.eventId} of ${row.aggregateId} is marked published but is not on ${row.topic}`,
        );
  }
  const reservations = new Map(snapshot.reservations.map((r) => [r.orderId, r]));
  const paidOrders = new Set(snapshot.payments.map((payment) => payment.orderId));
  for (const row of rows) {
    if (row.eventType === 'OrderCreated' && !reservations.has(row.aggregateId))
      lost(`OrderCreated of ${row.aggregateId} has no reservation (inventory never handled it)`);
  }
  for (const orderId of scope.orderIds) {
    const reservation = reservations.get(orderId);
    if (reservation && RESERVED_ONCE.has(reservation.status) && !paidOrders.has(orderId))
      lost(`StockReserved of ${orderId} has no payment (payments never handled it)`);
    const order = ordersById.get(orderId);
    const template = order ? NOTIFICATION_TEMPLATE[order.status] : undefined;
    if (template && !snapshot.notifications.some((n) => n.orderId === orderId && n.template === template))
      lost(`order ${orderId} is ${order?.status} without a ${template} notification`);
  }
  for (const [key, services] of scope.poison) {
    for (const service of services) {
      if (!snapshot.deadLetters.some((letter) => letter.key === key && letter.service === service))
        lost(`poison record ${key} was not dead-lettered by ${service}`);
    }
  }

  // Double reservations and releases, stock -----------------------------------------------------
  const byAggregate = (_payload: Record<string, unknown> | undefined, aggregateId: string) => aggregateId;
  const count = (eventType: string, label: string) => {
    let doubles = 0;
    for (const [orderId, ids] of eventIdsByOrder(snapshot, eventType, byAggregate)) {
      if (!inScope(orderId) || ids.size <= 1) continue;
      doubles++;
      findings.push(`order ${orderId} has ${ids.size} ${label} (${[...ids].join(', ')})`);
    }
    return doubles;
  };
  const doubleReservations = count('StockReserved', 'reservations');
  const doubleReleases = count('StockReleased', 'releases');
  const held = new Map<string, number>();
  for (const reservation of snapshot.reservations) {
    if (reservation.status !== 'RESERVED') continue;
    for (const line of reservation.lines)
      held.set(line.productId, (held.get(line.productId) ?? 0) + line.quantity);
  }
  let stockDrift = 0;
  for (const [productId, baseline] of scope.stockBaseline) {
    const now = (snapshot.stock.get(productId) ?? 0) + (held.get(productId) ?? 0);
    if (now === baseline) continue;
    stockDrift += Math.abs(now - baseline);
    findings.push(`product ${productId}: ${now} units in stock or held, ${baseline} at the start`);
  }
  let oversold = 0;
  for (const [productId, units] of snapshot.stock) {
    if (units >= 0) continue;
    oversold -= units;
    findings.push(`product ${productId} is oversold: ${units} units in stock`);
  }
  let unreleasedReservations = 0;
  for (const orderId of scope.orderIds) {
    const reservation = reservations.get(orderId);
    if (ordersById.get(orderId)?.status !== 'CANCELLED' || reservation?.status !== 'RESERVED') continue;
    unreleasedReservations++;
    findings.push(
      `order ${orderId} is CANCELLED but its reservation still holds ${reservation.lines
        .map((line) => `${line.quantity} × ${line.productId}`)
        .join(', ')}`,
    );
  }

  // Money -------------------------------------------------------------------------------------------
  const paymentsOf = new Map<string, string[]>();
  for (const payment of snapshot.payments)
    paymentsOf.set(payment.orderId, [...(paymentsOf.get(payment.orderId) ?? []), payment.paymentId]);
  const psp = snapshot.psp ? new Map(snapshot.psp.map((record) => [record.paymentId, record])) : undefined;
  const paymentStatus = new Map(snapshot.payments.map((payment) => [payment.paymentId, payment.status]));
  /** The money states of an order's payments: at the PSP when it is readable, else as payments records them. */
  const moneyOf = (orderId: string) =>
    (paymentsOf.get(orderId) ?? []).map((paymentId) =>
      moneyState(psp ? psp.get(paymentId)?.status : paymentStatus.get(paymentId)),
    );
  const succeeded = eventIdsByOrder(snapshot, 'PaymentSucceeded', byAggregate);
  let doubleCharges = 0;
  let chargesOnCancelled = 0;
  for (const orderId of scope.orderIds) {
    const money = moneyOf(orderId);
    const charges = money.filter((state) => state === 'charged').length;
    const events = succeeded.get(orderId)?.size ?? 0;
    if (charges > 1 || events > 1) {
      doubleCharges++;
      findings.push(`order ${orderId} is charged ${charges} times with ${events} PaymentSucceeded events`);
    }
    if (ordersById.get(orderId)?.status === 'CANCELLED' && money.some((state) => state !== 'none')) {
      chargesOnCancelled++;
      findings.push(`order ${orderId} is CANCELLED but the PSP holds its money (${money.join(', ')})`);
    }
  }

  // Notifications ---------------------------------------------------------------------------------
  const duplicates = new Map<string, string>();
  const notificationKey = (payload: Record<string, unknown> | undefined, aggregateId: string) =>
    typeof payload?.notificationId === 'string' ? payload.notificationId : `${aggregateId}#?`;
  const published = new Map<string, Set<string>>();
  for (const type of ['NotificationSent', 'NotificationFailed'])
    for (const [key, ids] of eventIdsByOrder(snapshot, type, notificationKey))
      published.set(key, new Set([...(published.get(key) ?? []), ...ids]));
  for (const [notificationId, ids] of published)
    if (inScope(notificationId.split('#')[0]) && ids.size > 1)
      duplicates.set(notificationId, `notification ${notificationId} was published ${ids.size} times`);
  const stored = new Map<string, number>();
  for (const n of snapshot.notifications)
    if (inScope(n.orderId)) stored.set(n.notificationId, (stored.get(n.notificationId) ?? 0) + 1);
  for (const [notificationId, times] of stored)
    if (times > 1 && !duplicates.has(notificationId))
      duplicates.set(notificationId, `notification ${notificationId} is stored ${times} times`);
  const duplicateNotifications = duplicates.size;
  findings.push(...duplicates.values());

  // Dead letters ----------------------------------------------------------------------------------
  let openDeadLetters = 0;
  let expectedDeadLetters = 0;
  for (const letter of snapshot.deadLetters) {
    if (letter.status !== 'OPEN') continue;
    if (scope.poison.has(letter.key)) {
      expectedDeadLetters++;
      continue;
    }
    if (!inScope(letter.aggregateId) && !inScope(letter.key)) continue;
    openDeadLetters++;
    findings.push(
      `dead letter ${letter.id}: ${letter.service} gave up on ${letter.eventId ?? 'a record'} of ${letter.aggregateId ?? letter.key} (${letter.errorKind})`,
    );
  }
  for (const parked of snapshot.parked) {
    if (!inScope(parked.aggregateId)) continue;
    openDeadLetters++;
    findings.push(`${parked.service} still has ${parked.eventId} of ${parked.aggregateId} parked`);
  }

  return {
    orders: scope.orderIds.size,
    terminal,
    lostEvents,
    doubleReservations,
    doubleReleases,
    stockDrift,
    oversold,
    unreleasedReservations,
    doubleCharges,
    chargesOnCancelled,
    duplicateNotifications,
    openDeadLetters,
    expectedDeadLetters,
    findings,
  };
}

/** How many invariants the verdict breaks (0: the steady state held). */
export function violationsOf(verdict: Verdict): number {
  return (
    verdict.orders -
    verdict.terminal +
    verdict.lostEvents +
    verdict.doubleReservations +
    verdict.doubleReleases +
    verdict.stockDrift +
    verdict.oversold +
    verdict.unreleasedReservations +
    verdict.doubleCharges +
    verdict.chargesOnCancelled +
    verdict.duplicateNotifications +
    verdict.openDeadLetters
  );
}

/**
 * Whether the system is quiet for the scope: every order of the scope finished with its
 * notification, nothing of them left to publish, parked, awaiting its payment status, or holding stock
 * or money at the PSP while cancelled. The scenario's drain time ends when this first holds.
 */
export function isQuiet(snapshot: Snapshot, scope: Scope): { quiet: boolean; waitingFor: string[] } {
  const verdict = judge({ ...snapshot, topics: undefined }, { ...scope, poison: new Map() });
  const waitingFor: string[] = [];
  if (verdict.terminal < verdict.orders) waitingFor.push(`${verdict.orders - verdict.terminal} orders`);
  const inScope = (id: string | undefined) => id !== undefined && scope.orderIds.has(id);
  const unpublished = snapshot.outbox.filter(
    (row) => inScope(row.aggregateId) && !row.published && !row.quarantined,
  ).length;
  if (unpublished > 0) waitingFor.push(`${unpublished} unpublished outbox rows`);
  const parked = snapshot.parked.filter((record) => inScope(record.aggregateId)).length;
  if (parked > 0) waitingFor.push(`${parked} parked records`);
  const missing = verdict.lostEvents - unpublished;
  if (missing > 0) waitingFor.push(`${missing} effects`);
  // A cancelled order's stock is released by the saga and the inventory service.
  if (verdict.unreleasedReservations > 0) waitingFor.push(`${verdict.unreleasedReservations} stock releases`);
  // A cancelled order's payment is released by the saga and the payment service (void or refund).
  if (verdict.chargesOnCancelled > 0) waitingFor.push(`${verdict.chargesOnCancelled} reversals`);
  // AUTHORIZING, AWAITING_STATUS, and any other state still on its way (VOIDING, REFUNDING).
  const open = snapshot.payments.filter(
    (payment) =>
      scope.orderIds.has(payment.orderId) &&
      (payment.status === 'AWAITING_STATUS' || payment.status.endsWith('ING')),
  ).length;
  if (open > 0) waitingFor.push(`${open} payments`);
  return { quiet: waitingFor.length === 0, waitingFor };
}
