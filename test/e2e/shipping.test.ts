import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '#localstack/runtime/runtime';
import { customer, type Session } from '#test/helpers/auth';
import { carrierReport, carrierSecret, postCarrierWebhook } from '#test/helpers/carrier';
import {
  documentClient,
  http,
  postOrder,
  ROOT,
  scanAll,
  startRuntime,
  tableName,
} from '#test/helpers/local-runtime';
import { waitFor } from '#test/helpers/wait';

const MOUSE = '11111111-1111-1111-1111-111111111111';
const run = promisify(execFile);

interface OrderView {
  orderId: string;
  status: string;
  history: { status: string; reason: string }[];
}

/**
 * Shipping over HTTP: a confirmed order is booked with the mock carrier, the carrier's signed
 * webhooks ship and deliver it (a bad or missing signature is refused and writes nothing, a replay
 * changes nothing, the customer is notified of the shipment and of the delivery once each), a
 * shipped order can no longer be cancelled, and a confirmed order cancelled before pickup gets its
 * stock back, its payment refunded and its parcel cancelled.
 */
describe('End to end: shipping', () => {
  let runtime: LocalRuntime;
  let db: DynamoDBDocumentClient;
  let owner: Session;
  let shippingApi: string;
  let secret: string;
  let keySeq = 0;

  beforeAll(async () => {
    runtime = await startRuntime({ timeScale: 50, functionConcurrency: 4 });
    db = documentClient(runtime);
    owner = await customer(runtime, 'shipping-owner');
    shippingApi = runtime.apiUrlOf('shipping');
    secret = carrierSecret(runtime);
  });

  afterAll(async () => {
    db?.destroy();
    await runtime?.stop();
  });

  const order = async (orderId: string) =>
    (await http(runtime.apiUrl, `/orders/${orderId}`, { headers: owner.headers })).body as OrderView;

  const orderWhere = (orderId: string, holds: (view: OrderView) => boolean, description: string) =>
    waitFor(
      async () => {
        const view = await order(orderId);
        return holds(view) ? view : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, description: `order ${orderId}: ${description}` },
    );

  const shipment = async (orderId: string) =>
    (await scanAll(db, tableName(runtime, 'ShippingTable'))).find(
      (item) => item.pk === `SHIPMENT#shp-${orderId}`,
    );

  const shipmentWhere = (orderId: string, status: string) =>
    waitFor(
      async () => {
        const item = await shipment(orderId);
        return item?.status === status ? item : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, description: `the shipment of ${orderId} is ${status}` },
    );

  const stock = async () =>
    ((await http(runtime.apiUrl, `/products/${MOUSE}`)).body as { stock: number }).stock;

  /** Places an order and waits until it is CONFIRMED and its parcel booked. */
  const confirmedAndBooked = async () => {
    const placed = await postOrder(
      runtime.apiUrl,
      { items: [{ productId: MOUSE, quantity: 1 }], payment: { method: 'card', token: 'tok_ok' } },
      `shipping-${Date.now()}-${keySeq++}`,
      owner.headers,
    );
    expect(placed.status).toBe(202);
    const { orderId } = placed.body as OrderView;
    await orderWhere(orderId, (view) => view.status === 'CONFIRMED', 'is CONFIRMED');
    const booked = await shipmentWhere(orderId, 'CREATED');
    return { orderId, booked };
  };

  /** Runs `scripts/carrier-webhook.ts` against this runtime's shipping API and Secrets Manager. */
  const playCarrier = async (orderId: string, status: string) => {
    const secretId = runtime.secrets?.names().find((name) => name.includes('CarrierWebhookSecret')) ?? '';
    const { stdout } = await run(
      'npx',
      [
        'tsx',
        'scripts/carrier-webhook.ts',
        ...['--order', orderId, '--status', status, '--api-url', shippingApi],
        ...['--secret-id', secretId, '--endpoint-url', runtime.controlPlaneUrl],
      ],
      { cwd: ROOT, timeout: 30_000 },
    );
    return stdout.trim();
  };

  const cancel = (orderId: string) =>
    http(runtime.apiUrl, `/orders/${orderId}/cancel`, { method: 'POST', headers: owner.headers });

  it('ships and delivers a confirmed order through signed webhooks; bad signatures are 401 and write nothing; a shipped order is not cancellable', async () => {
    // Prepare
    const { orderId, booked } = await confirmedAndBooked();
    const pickup = carrierReport({ orderId, status: 'PICKED_UP' });

    // Act
    const unsigned = await postCarrierWebhook(shippingApi, pickup, secret, null);
    const forged = await postCarrierWebhook(shippingApi, pickup, 'not-the-carrier-secret');
    const afterRefused = await shipment(orderId);
    const stillConfirmed = await order(orderId);
    const picked = await postCarrierWebhook(shippingApi, pickup, secret);
    const shipped = await orderWhere(orderId, (view) => view.status === 'SHIPPED', 'is SHIPPED');
    const replayed = await postCarrierWebhook(shippingApi, pickup, secret);
    const refusedCancel = await cancel(orderId);
    // The delivery comes from the script that plays the carrier (as in the README's quick start).
    const delivered = await playCarrier(orderId, 'DELIVERED');
    const done = await orderWhere(orderId, (view) => view.status === 'DELIVERED', 'is DELIVERED');

    // Assess
    expect(booked.trackingNumber).toMatch(/^MC[0-9A-F]{12}$/);
    expect([unsigned.status, forged.status]).toEqual([401, 401]);
    expect(forged.body).toMatchObject({ error: { code: 'INVALID_SIGNATURE' } });
    expect(afterRefused).toEqual(booked);
    expect(stillConfirmed.status).toBe('CONFIRMED');
    expect(picked).toEqual({
      status: 200,
      body: { shipmentId: `shp-${orderId}`, status: 'SHIPPED', applied: true },
    });
    expect(shipped.history.at(-1)?.reason).toContain(String(booked.trackingNumber));
    expect(replayed).toEqual({
      status: 200,
      body: { shipmentId: `shp-${orderId}`, status: 'SHIPPED', applied: false },
    });
    expect(refusedCancel.status).toBe(409);
    expect(refusedCancel.body).toMatchObject({
      error: { code: 'ORDER_NOT_CANCELLABLE', details: [{ path: 'status', status: 'SHIPPED' }] },
    });
    expect(delivered).toMatch(/^200 .*"status":"DELIVERED","applied":true/);
    expect(done.history.map((entry) => entry.status)).toEqual([
      'PENDING',
      'STOCK_RESERVED',
      'CONFIRMED',
      'SHIPPED',
      'DELIVERED',
    ]);
    expect(await shipment(orderId)).toMatchObject({ status: 'DELIVERED', version: 3 });
    // The customer is told of the shipment (carrier, tracking number) and of the delivery, once each.
    const notified = await waitFor(
      async () => {
        const items = (await scanAll(db, tableName(runtime, 'notification'))).filter(
          (item) => item.orderId === orderId,
        );
        const templates = new Set(items.map((item) => item.template));
        return templates.has('ORDER_SHIPPED') && templates.has('ORDER_DELIVERED') ? items : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250, description: `the shipping notifications of ${orderId}` },
    );
    const shippingNotifications = notified.filter((item) =>
      ['ORDER_SHIPPED', 'ORDER_DELIVERED'].includes(String(item.template)),
    );
    const ids = shippingNotifications.map((item) => String(item.notificationId));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(
      expect.arrayContaining([`${orderId}#ORDER_SHIPPED#email`, `${orderId}#ORDER_DELIVERED#email`]),
    );
    expect(shippingNotifications.every((item) => item.status === 'SENT')).toBe(true);
  });

  it('cancels a CONFIRMED order before pickup: stock back, payment refunded, parcel cancelled, a late pickup changes nothing', async () => {
    // Prepare
    const before = await stock();
    const { orderId } = await confirmedAndBooked();

    // Act
    const cancelled = await cancel(orderId);
    const refunded = await orderWhere(
      orderId,
      (view) => view.history.some((entry) => /refunded \(ORDER_CANCELLED\)/.test(entry.reason)),
      'records the refund of its payment',
    );
    const restocked = await waitFor(async () => ((await stock()) === before ? before : undefined), {
      timeoutMs: 60_000,
      intervalMs: 200,
      description: 'the stock of the cancelled order is back',
    });
    const parcel = await shipmentWhere(orderId, 'CANCELLED');
    const latePickup = await postCarrierWebhook(
      shippingApi,
      carrierReport({ orderId, status: 'PICKED_UP' }),
      secret,
    );

    // Assess
    expect(cancelled.status).toBe(202);
    expect(cancelled.body).toMatchObject({ orderId, status: 'CANCELLED' });
    expect(refunded.status).toBe('CANCELLED');
    expect(restocked).toBe(before);
    expect(parcel).toMatchObject({ status: 'CANCELLED' });
    expect(latePickup).toEqual({
      status: 200,
      body: { shipmentId: `shp-${orderId}`, status: 'CANCELLED', applied: false },
    });
    expect((await order(orderId)).status).toBe('CANCELLED');
  });
});
