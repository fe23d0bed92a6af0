import { ListDeadLettersFn, RedriveDeadLetterFn } from './admin/contract';
import { AnalyticsConsumerFn, GetMetricsFn } from './analytics/contract';
import { CreateProductFn, GetProductFn, ListProductsFn, SeedProductsFn } from './catalog/contract';
import { GetProfileFn, SetCustomerStatusFn, UpdateProfileFn } from './customers/contract';
import { VerifyTokenFn } from './identity/contract';
import { AdjustStockFn, InventoryConsumerFn, SeedStockFn } from './inventory/contract';
import { AuthorizeApiKeyFn, CreatePaymentFn, GetPaymentFn, ReleasePaymentFn } from './mock-psp/contract';
import { NotificationConsumerFn } from './notifications/contract';
import {
  CancelOrderFn,
  CheckoutFn,
  ClearCartFn,
  CreateOrderFn,
  GetCartFn,
  GetOrderFn,
  HealthFn,
  ListOrdersFn,
  OpenApiFn,
  OrderReconcilerFn,
  SagaConsumerFn,
  SetCartItemFn,
} from './orders/contract';
import { CheckStatusFn, PaymentConsumerFn, PaymentReconcilerFn } from './payments/contract';
import type { AnyContract } from './platform/contract';
import { DiscardedBatchesFn } from './platform/discarded/contract';
import { KafkaTopicsFn, OutboxRelayFn, OutboxSweeperFn } from './platform/outbox/contract';
import { CarrierWebhookFn, ShippingConsumerFn } from './shipping/contract';

/** Every function of the platform, by service; the reference in docs/ is generated from this list. */
export const FUNCTION_CONTRACTS: readonly AnyContract[] = [
  CreateOrderFn,
  GetOrderFn,
  CancelOrderFn,
  ListOrdersFn,
  GetCartFn,
  SetCartItemFn,
  ClearCartFn,
  CheckoutFn,
  HealthFn,
  OpenApiFn,
  SagaConsumerFn,
  OrderReconcilerFn,
  GetProfileFn,
  UpdateProfileFn,
  SetCustomerStatusFn,
  VerifyTokenFn,
  ListProductsFn,
  GetProductFn,
  SeedProductsFn,
  CreateProductFn,
  InventoryConsumerFn,
  SeedStockFn,
  AdjustStockFn,
  PaymentConsumerFn,
  CheckStatusFn,
  PaymentReconcilerFn,
  NotificationConsumerFn,
  ShippingConsumerFn,
  CarrierWebhookFn,
  AnalyticsConsumerFn,
  GetMetricsFn,
  ListDeadLettersFn,
  RedriveDeadLetterFn,
  AuthorizeApiKeyFn,
  CreatePaymentFn,
  GetPaymentFn,
  ReleasePaymentFn,
  OutboxRelayFn,
  OutboxSweeperFn,
  KafkaTopicsFn,
  DiscardedBatchesFn,
];
