/**
 * What the invariants read: the state of the system after a scenario, as the tables, the PSP and the
 * topics hold it. The snapshot module fills it from DynamoDB scans and a Kafka consumer; the unit
 * tests build it by hand.
 */

export interface OrderState {
  orderId: string;
  status: string;
  customerId?: string;
}

/** One event a service table emitted: from its stream, or an outbox row (`OUTBOX#<aggregateId>` / eventId). */
export interface OutboxRow {
  /** The service whose table holds it (orders, inventory, payments, notifications). */
  service: string;
  aggregateId: string;
  eventId: string;
  eventType: string;
  topic: string;
  published: boolean;
  /** Quarantined rows (never publishable) are not waited for. */
  quarantined?: boolean;
  /** The event's payload, when the row's envelope parses. */
  payload?: Record<string, unknown>;
}

export interface Reservation {
  orderId: string;
  status: string;
  lines: { productId: string; quantity: number }[];
}

export interface Payment {
  paymentId: string;
  orderId: string;
  status: string;
}

/** A payment as the PSP holds it: the money state is read from its status. */
export interface PspPayment {
  paymentId: string;
  status?: string;
}

export interface Notification {
  notificationId: string;
  orderId: string;
  template: string;
  channel: string;
  status: string;
}

export interface DeadLetter {
  id: string;
  service: string;
  topic: string;
  key: string;
  aggregateId?: string;
  eventId?: string;
  errorKind: string;
  status: string;
}

export interface ParkedRecord {
  service: string;
  eventId: string;
  aggregateId?: string;
}

/** One message read from a topic. */
export interface TopicMessage {
  topic: string;
  key: string;
  eventId?: string;
  eventType?: string;
  payload?: Record<string, unknown>;
}

export interface Snapshot {
  orders: OrderState[];
  outbox: OutboxRow[];
  reservations: Reservation[];
  /** Stock per productId, from the inventory table's stock items (`STOCK#<productId>`). */
  stock: Map<string, number>;
  payments: Payment[];
  /** The PSP's own records, when the system runs the mock PSP. */
  psp?: PspPayment[];
  notifications: Notification[];
  deadLetters: DeadLetter[];
  parked: ParkedRecord[];
  /** Every message of the topics, when the tool reaches the Kafka cluster. */
  topics?: TopicMessage[];
}

/** Which part of the state one scenario is judged on. */
export interface Scope {
  /** The orders the scenario placed (accepted by the API). */
  orderIds: ReadonlySet<string>;
  /** Poison records the scenario produced: record key → the services that must dead-letter it. */
  poison: ReadonlyMap<string, readonly string[]>;
  /** Units per product that are in stock or held by reservations, when the run started. */
  stockBaseline: ReadonlyMap<string, number>;
}
