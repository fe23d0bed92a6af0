import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '#localstack/runtime/cognito';
import type { LocalRuntime } from '#localstack/runtime/runtime';
import { DeadLetterStore } from '#platform/consumer/dead-letters';
import { admin, customer } from '../helpers/auth';
import { documentClient, http, postOrder, ROOT, startRuntime, tableName } from '../helpers/local-runtime';
import { waitFor } from '../helpers/wait';

const SCREENSHOT = join(ROOT, 'test-results', 'ops-page.png');
const MUG = '11111111-1111-1111-1111-111111111111';

/** The Chromium the test drives: $CHROMIUM_PATH, or Debian's package (`scripts/bootstrap.mjs` installs it). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The text of the first element matching `selector`, or '' while there is none. */
const textOf = async (page: Page, selector: string): Promise<string> =>
  (await page
    .locator(selector)
    .first()
    .textContent({ timeout: 1_000 })
    .catch(() => null)) ?? '';

describe('End to end: the operations page shows the saga running', () => {
  let runtime: LocalRuntime;
  let browser: Browser | undefined;
  let page: Page;

  beforeAll(async () => {
    runtime = await startRuntime({ opsPort: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    page = await browser.newPage({ viewport: { width: 1400, height: 1800 } });
  });

  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
  });

  it('shows an order placed through the API live, with its status history, counts, latency, lag and metrics', async () => {
    // Prepare
    await page.goto(runtime.opsUrl);
    await waitFor(async () => (await textOf(page, '[data-testid="updated"]')).startsWith('updated'), {
      timeoutMs: 15_000,
      description: 'the page showing its first snapshot',
    });
    const alice = await customer(runtime, 'alice');

    // Act
    const placed = await postOrder(
      runtime.apiUrl,
      { items: [{ productId: MUG, quantity: 1 }], payment: { method: 'card', token: 'tok_ok' } },
      `ops-${ulid()}`,
      alice.headers,
    );
    const { orderId } = placed.body as { orderId: string };

    // Assess
    expect(placed.status).toBe(202);
    const row = `[data-order-id="${orderId}"]`;
    await waitFor(async () => (await page.locator(row).count()) === 1, {
      timeoutMs: 15_000,
      description: `order ${orderId} listed on the page`,
    });
    await waitFor(async () => (await page.locator(row).getAttribute('data-status')) === 'CONFIRMED', {
      timeoutMs: 60_000,
      description: `order ${orderId} shown CONFIRMED`,
    });
    const history = await textOf(page, `${row} .history`);
    expect(history).toMatch(/PENDING.*STOCK_RESERVED.*CONFIRMED/);
    expect(Number(await textOf(page, '[data-status="CONFIRMED"].value'))).toBeGreaterThanOrEqual(1);
    expect(await textOf(page, '[data-testid="latency"]')).toMatch(/finished sagas\s*1/);
    expect(await textOf(page, '[data-testid="latency"]')).toMatch(/p95\s*\d+ ms/);
    const groups = await page
      .locator('[data-group]')
      .evaluateAll((rows) => rows.map((element) => element.getAttribute('data-group')));
    expect(groups).toEqual(expect.arrayContaining(['order-saga-inventory-orders.events']));
    await waitFor(
      async () =>
        (await textOf(page, '[data-panel^="Saga: orders created"] [data-series="OrdersConfirmed"] .num')) ===
          '1' &&
        /^\d+ ms$/.test(
          await textOf(page, '[data-panel^="Saga: duration"] [data-series="SagaDurationMs p50"] .num'),
        ),
      {
        timeoutMs: 15_000,
        description: 'the saga panels showing the confirmation from the functions’ metrics',
      },
    );
    const content = await page.content();
    expect(content).not.toContain('tok_ok');
    expect(content).not.toContain(alice.sub);
    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it('lists open dead letters for a signed-in admin and redrives one from the page', async () => {
    // Prepare
    const sample = JSON.parse(readFileSync(join(ROOT, 'events/samples/OrderConfirmed.v1.json'), 'utf8')) as {
      aggregateId: string;
    };
    const eventId = ulid();
    const store = new DeadLetterStore(documentClient(runtime), tableName(runtime, 'DeadLetter'));
    const letter = await store.write(
      {
        service: 'notifications',
        record: { topic: 'orders.events', partition: 0, offset: '0', key: sample.aggregateId, headers: {} },
        rawValue: JSON.stringify({ ...sample, eventId }),
        eventId,
        eventType: 'OrderConfirmed',
        aggregateId: sample.aggregateId,
        errorKind: 'HANDLER_FAILED',
        errorMessage: 'the notification provider kept failing',
        attempts: 3,
      },
      new Date(),
    );
    await page.fill('input[name="email"]', 'admin@example.com');
    await page.fill('input[name="password"]', DEMO_PASSWORD);
    await page.click('#sign-in button[type="submit"]');
    const button = `[data-dead-letter="${letter.id}"] [data-redrive]`;
    await waitFor(async () => (await page.locator(button).count()) === 1, {
      timeoutMs: 15_000,
      description: `dead letter ${letter.id} listed for the admin`,
    });

    // Act
    await page.click(button);

    // Assess
    await waitFor(async () => (await page.locator(`[data-dead-letter="${letter.id}"]`).count()) === 0, {
      timeoutMs: 15_000,
      description: `dead letter ${letter.id} gone from the open ones`,
    });
    expect(await textOf(page, '[data-testid="who"]')).toContain('admin@example.com');
    const redriven = await http(runtime.apiUrl, '/admin/dead-letters?status=REDRIVEN', {
      headers: (await admin(runtime)).headers,
    });
    const items = (redriven.body as { items: { id: string; redrivenBy: string | null }[] }).items;
    expect(items.find((item) => item.id === letter.id)?.redrivenBy).toContain('admin@example.com');
  });

  it('refuses the dead letters without a token or with a customer’s, as the admin API does, and a wrong password', async () => {
    // Prepare
    const bob = await customer(runtime, 'bob');
    const ops = (path: string, init: RequestInit = {}) => fetch(`${runtime.opsUrl}${path}`, init);

    // Act
    const responses = [
      await ops('/api/dead-letters'),
      await ops('/api/dead-letters', { headers: bob.headers }),
      await ops('/api/dead-letters/not-an-id/redrive', { method: 'POST', headers: bob.headers }),
      await ops('/api/sign-in', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'admin@example.com', password: 'wrong' }),
      }),
    ];

    // Assess
    expect(responses.map((response) => response.status)).toEqual([401, 403, 400, 401]);
  });
});
