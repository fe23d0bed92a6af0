import { describe, expect, it } from 'vitest';
import { carrierApiDocument } from '#functions/openapi';
import { type ApiExchange, OpenApiContract, OpenApiMismatchError } from '#test/helpers/openapi';

const ORDER_ID = '01JN8S7QG0AAAAAAAAAAAAAAAA';
const money = (amountMinor: number) => ({ amountMinor, currency: 'EUR' });
const order = {
  orderId: ORDER_ID,
  customerId: 'a-sub',
  status: 'PENDING',
  lines: [
    {
      productId: '11111111-1111-1111-1111-111111111111',
      name: 'Wireless Mouse',
      sellerId: 'seller-peripherals',
      quantity: 2,
      unitPrice: money(2999),
      lineTotal: money(5998),
    },
  ],
  total: money(5998),
  payment: { method: 'card' },
  createdAt: '2025-03-01T12:00:00.000Z',
  updatedAt: '2025-03-01T12:00:00.000Z',
  history: [{ status: 'PENDING', at: '2025-03-01T12:00:00.000Z', reason: 'Order placed' }],
  links: { self: `/v1/orders/${ORDER_ID}` },
};

const exchange = (overrides: Partial<ApiExchange> & { body?: unknown }): ApiExchange => {
  const { body, ...rest } = overrides;
  return {
    method: 'GET',
    path: `/orders/${ORDER_ID}`,
    status: 200,
    contentType: 'application/json; charset=utf-8',
    text: JSON.stringify(body ?? order),
    ...rest,
  };
};

describe('Class: OpenApiContract', () => {
  const contract = new OpenApiContract();

  it('accepts an answer that matches the document, under the stage prefix and with a query too', () => {
    // Act
    const problems = [
      contract.problemsOf(exchange({})),
      contract.problemsOf(exchange({ path: `/v1/orders/${ORDER_ID}?x=1` })),
      contract.problemsOf(exchange({ method: 'POST', path: '/orders', status: 202 })),
    ];

    // Assess
    expect(problems).toEqual([[], [], []]);
  });

  it('reports a body that does not match the schema of its status', () => {
    // Prepare
    const wrong = { ...order, total: { amountMinor: '5998', currency: 'EUR' }, extra: true };

    // Act
    const problems = contract.problemsOf(exchange({ body: wrong }));

    // Assess
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('body/total/amountMinor must be integer'),
        expect.stringContaining('must NOT have additional properties'),
      ]),
    );
  });

  it('reports an error code the route does not declare for that status', () => {
    // Prepare
    const body = { error: { code: 'UNKNOWN_PRODUCT', message: 'x', details: [] } };

    // Act
    const problems = contract.problemsOf(exchange({ status: 404, body }));

    // Assess
    expect(problems).toEqual([
      expect.stringContaining('body/error/code must be equal to one of the allowed values'),
    ]);
  });

  it('reports a status the route does not declare', () => {
    // Act
    const problems = contract.problemsOf(exchange({ path: '/products', status: 401, body: {} }));

    // Assess
    expect(problems).toEqual([expect.stringContaining('status 401 is not an answer of GET /products')]);
  });

  it('accepts the 404 NOT_FOUND of a route the document does not have, and nothing else there', () => {
    // Prepare
    const notFound = {
      error: { code: 'NOT_FOUND', message: 'No route matches this method and path.', details: [] },
    };

    // Act
    const unknownPath = contract.problemsOf(exchange({ path: '/psp/payments', status: 404, body: notFound }));
    const unknownMethod = contract.problemsOf(exchange({ method: 'DELETE', status: 404, body: notFound }));
    const answered = contract.problemsOf(exchange({ path: '/psp/payments', status: 200, body: {} }));

    // Assess
    expect(unknownPath).toEqual([]);
    expect(unknownMethod).toEqual([]);
    expect(answered).toEqual([expect.stringContaining('is not in the document')]);
  });

  it('reports a body that is not JSON', () => {
    // Act
    const problems = contract.problemsOf(exchange({ text: 'Internal server error' }));

    // Assess
    expect(problems).toEqual([expect.stringContaining('the body is not JSON')]);
  });

  it('throws an OpenApiMismatchError naming the problems when an answer does not match', () => {
    // Act
    const act = () => contract.assertMatches(exchange({ body: { ...order, status: 'RETURNED' } }));

    // Assess
    expect(act).toThrow(OpenApiMismatchError);
    expect(act).toThrow(/GET \/orders\/01JN8S7QG0AAAAAAAAAAAAAAAA answered 200/);
  });

  it('checks carrier answers against the carrier API document', () => {
    // Prepare
    const carrier = new OpenApiContract(carrierApiDocument());
    const webhook = (status: number, body: unknown) =>
      exchange({ method: 'POST', path: '/v1/carrier/webhooks', status, body });
    const refused = (code: string) => ({ error: { code, message: 'refused', details: [] } });

    // Act
    const answers = [
      carrier.problemsOf(webhook(200, { shipmentId: 'shp-1', status: 'SHIPPED', applied: true })),
      carrier.problemsOf(webhook(401, refused('INVALID_SIGNATURE'))),
      carrier.problemsOf(webhook(404, refused('UNKNOWN_SHIPMENT'))),
    ];
    const wrong = [
      carrier.problemsOf(webhook(401, refused('UNAUTHORIZED'))),
      carrier.problemsOf(webhook(200, { shipmentId: 'shp-1', status: 'LOST', applied: true })),
      carrier.problemsOf(exchange({})),
    ];

    // Assess
    expect(answers).toEqual([[], [], []]);
    for (const problems of wrong) expect(problems).not.toEqual([]);
  });
});
