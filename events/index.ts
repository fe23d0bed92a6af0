export {
  AttemptsSchema,
  DetailSchema,
  IdSchema,
  MAX_ORDER_LINES,
  PaymentInstrumentSchema,
  QuantitySchema,
  TimestampSchema,
} from './common';
export { type CausationMeta, type CreateEventMeta, causedBy, createEvent } from './create';
export {
  type EnvelopeHeader,
  EnvelopeSchema,
  type EventEnvelope,
  type TraceContext,
  TraceContextSchema,
  ULID_PATTERN,
  UlidSchema,
} from './envelope';
export {
  type EventIssue,
  EventParseError,
  type EventParseErrorKind,
  type EventParseErrorOptions,
  EventValidationError,
} from './errors';
export {
  ReservedLineSchema,
  StockAdjustedV1,
  StockRejectedV1,
  type StockRejectionReason,
  StockRejectionReasonSchema,
  StockReleasedV1,
  StockReservedV1,
} from './inventory';
export { type Money, MoneySchema } from './money';
export {
  type NotificationChannel,
  NotificationChannelSchema,
  NotificationFailedV1,
  NotificationFailedV2,
  NotificationSentV1,
  NotificationSentV2,
  type NotificationTemplate,
  NotificationTemplateSchema,
  NotificationTemplateV1Schema,
} from './notifications';
export {
  type OrderCancellationReason,
  OrderCancellationReasonSchema,
  type OrderCancellationReasonV2,
  OrderCancellationReasonV2Schema,
  type OrderCancelledFrom,
  OrderCancelledFromSchema,
  OrderCancelledV1,
  OrderCancelledV2,
  OrderCancelledV3,
  OrderCancelledV4,
  OrderConfirmedV1,
  OrderConfirmedV2,
  OrderCreatedV1,
  OrderLineSchema,
  PaymentReversalRequestedV1,
  type Recipient,
  RecipientSchema,
  StockLineSchema,
  StockReleaseRequestedV1,
} from './orders';
export { type ParseResult, parseEvent } from './parse';
export {
  PaymentFailedV1,
  PaymentFailedV2,
  type PaymentFailureReason,
  PaymentFailureReasonSchema,
  type PaymentPendingReason,
  PaymentPendingReasonSchema,
  PaymentPendingV1,
  PaymentPendingV2,
  PaymentRefundedV1,
  type PaymentReversalReason,
  PaymentReversalReasonSchema,
  PaymentSplitSchema,
  PaymentSucceededV1,
  PaymentSucceededV2,
  PaymentVoidedV1,
} from './payments';
export {
  type DomainEvent,
  type DomainEventOf,
  EVENT_SCHEMAS,
  EVENT_TYPES,
  type EventPayload,
  type EventType,
  type EventVersion,
  envelopeSchemaFor,
  isEventType,
  LATEST_VERSIONS,
  type LatestVersion,
  payloadSchemaFor,
  versionsOf,
} from './schemas';
export { OrderDeliveredV1, OrderShippedV1, ShipmentCreatedV1 } from './shipping';
export { ALL_TOPICS, type TopicName, Topics, topicFor } from './topics';
export {
  continueTrace,
  currentXrayTraceHeader,
  parseTraceparent,
  TRACEPARENT_PATTERN,
  traceIdOfXrayHeader,
} from './trace';
