import type { NotificationChannel, NotificationTemplate } from '#events';
import { AppError } from '#platform/errors';

export type { NotificationChannel, NotificationTemplate };

/** Template variables of a message; `customerId` names the recipient (see `customerIdOf`). */
export type NotificationData = { readonly customerId: string } & Readonly<Record<string, string | number>>;

/** One message to one recipient on one channel. */
export interface NotificationMessage {
  /** Deterministic (`<orderId>#<template>#<channel>`); providers may use it as an idempotency key. */
  notificationId: string;
  channel: NotificationChannel;
  /** Email address or phone number (E.164). */
  to: string;
  template: NotificationTemplate;
  orderId: string;
  data: NotificationData;
}

export interface SendContext {
  /** 1-based number of this call for the same notification within one delivery attempt. */
  attempt: number;
}

export interface SendReceipt {
  /** The provider's id of the accepted message. */
  providerMessageId: string;
}

/**
 * Port to an email or SMS provider. `send` resolves when the provider accepted the message and
 * throws `ProviderError` when it did not: `retryable` says whether the same call may succeed later
 * (throttling, 5xx, timeouts) or never will (an invalid or blocked recipient).
 */
export interface NotificationProvider {
  /** Recorded with each notification and in NotificationSent, e.g. `mock-email`. */
  readonly name: string;
  readonly channel: NotificationChannel;
  send(message: NotificationMessage, context: SendContext): Promise<SendReceipt>;
}

/** A provider refused or failed a message. */
export class ProviderError extends AppError {
  readonly code = 'PROVIDER_ERROR';

  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
