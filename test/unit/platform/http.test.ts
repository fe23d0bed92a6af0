import '../setup-env';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HttpError } from '#platform/errors';
import { apiHandler, basePathOf, errorResponse, header, json, parseJsonBody } from '#platform/http';
import { instrumented, tracer } from '#platform/powertools';
import { apiGatewayEvent, lambdaContext } from '#test/helpers/fixtures';

describe('Function: header', () => {
  it('finds a header whatever its case', () => {
    // Prepare
    const event = apiGatewayEvent('POST /orders', {
      headers: { 'IDEMPOTENCY-key': 'k-1', 'Idempotency-Key': undefined },
    });

    // Act & Assess
    expect(header(event, 'idempotency-key')).toBe('k-1');
    expect(header(event, 'Idempotency-Key')).toBe('k-1');
  });

  it('returns undefined for an absent header or no headers at all', () => {
    // Prepare
    const event = apiGatewayEvent('GET /products');

    // Act & Assess
    expect(header(event, 'idempotency-key')).toBeUndefined();
    expect(header({ headers: null as unknown as Record<string, string> }, 'accept')).toBeUndefined();
  });
});

describe('Function: json', () => {
  it('serializes the body with the security and caching headers of every response', () => {
    // Act
    const response = json(200, { ok: true }, { location: '/orders/1' });

    // Assess
    expect(response).toEqual({
      statusCode: 200,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        location: '/orders/1',
      },
      body: '{"ok":true}',
    });
  });
});

describe('Function: errorResponse', () => {
  it('renders { error: { code, message, details } } and the error headers, without requestId when unknown', () => {
    // Prepare
    const error = new HttpError(409, 'REQUEST_IN_PROGRESS', 'busy', {
      headers: { 'retry-after': '1' },
      cause: new Error('internal detail'),
    });

    // Act
    const response = errorResponse(error);

    // Assess
    expect(response.statusCode).toBe(409);
    expect(response.headers).toMatchObject({ 'retry-after': '1' });
    expect(JSON.parse(response.body)).toEqual({
      error: { code: 'REQUEST_IN_PROGRESS', message: 'busy', details: [] },
    });
    expect(response.body).not.toContain('internal detail');
  });
});

describe('Function: parseJsonBody', () => {
  it('parses a JSON body', () => {
    // Prepare
    const event = apiGatewayEvent('POST /orders', { body: '{"a":[1,2]}' });

    // Act & Assess
    expect(parseJsonBody(event, { maxBytes: 100 })).toEqual({ a: [1, 2] });
  });

  it('measures a base64-encoded body after decoding it', () => {
    // Prepare: 12 bytes of JSON are 16 characters of base64
    const event = apiGatewayEvent('POST /orders', {
      body: Buffer.from('{"a":"1234"}').toString('base64'),
      isBase64Encoded: true,
    });

    // Act & Assess
    expect(parseJsonBody(event, { maxBytes: 12 })).toEqual({ a: '1234' });
  });

  it('rejects a body over the limit with 413', () => {
    // Prepare
    const event = apiGatewayEvent('POST /orders', { body: '{"a":"12345"}' });

    // Act & Assess
    expect(() => parseJsonBody(event, { maxBytes: 12 })).toThrow(
      expect.objectContaining({
        statusCode: 413,
        code: 'PAYLOAD_TOO_LARGE',
        message: 'Request body must be at most 12 bytes',
        details: [{ path: 'body', message: 'received 13 bytes' }],
      }),
    );
  });
});

describe('Function: basePathOf', () => {
  it('is the stage when the client called the execute-api URL', () => {
    // Prepare
    const event = apiGatewayEvent('POST /orders', {
      path: '/orders',
      requestContext: { path: '/v1/orders' },
    });

    // Act
    const basePath = basePathOf(event);

    // Assess
    expect(basePath).toBe('/v1');
  });

  it('is the base path mapping of a custom domain', () => {
    // Prepare
    const event = apiGatewayEvent('GET /orders/{orderId}', {
      path: '/orders/01JN8S7QG0AAAAAAAAAAAAAAAA',
      requestContext: { path: '/shop/api/orders/01JN8S7QG0AAAAAAAAAAAAAAAA' },
    });

    // Act
    const basePath = basePathOf(event);

    // Assess
    expect(basePath).toBe('/shop/api');
  });

  it('is empty when the API is called at its root', () => {
    // Prepare
    const event = apiGatewayEvent('POST /orders', { path: '/orders', requestContext: { path: '/orders' } });

    // Act
    const basePath = basePathOf(event);

    // Assess
    expect(basePath).toBe('');
  });

  it.each([
    ['the called path does not end with the resource path', '/v1/other', '/orders'],
    ['the prefix holds characters a path segment must not', '/v1;x=<y>/orders', '/orders'],
  ])('is empty when %s', (_, called, path) => {
    // Prepare
    const event = apiGatewayEvent('POST /orders', { path, requestContext: { path: called } });

    // Act
    const basePath = basePathOf(event);

    // Assess
    expect(basePath).toBe('');
  });
});

describe('Function: apiHandler', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const traced = () => {
    vi.spyOn(tracer, 'isTracingEnabled').mockReturnValue(true);
    vi.spyOn(tracer, 'getSegment').mockReturnValue(undefined);
    vi.spyOn(tracer, 'annotateColdStart').mockImplementation(() => undefined);
    vi.spyOn(tracer, 'addServiceNameAnnotation').mockImplementation(() => undefined);
    return vi.spyOn(tracer, 'addResponseAsMetadata').mockImplementation(() => undefined);
  };

  it('keeps the response, which holds customer data, out of the X-Ray trace', async () => {
    // Prepare
    const addResponse = traced();
    const handler = apiHandler(async () => json(200, { customerId: 'c-1' }));

    // Act
    const result = await handler(apiGatewayEvent('GET /orders'), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(200);
    expect(addResponse).not.toHaveBeenCalled();
  });

  it('is what differs from other handlers, whose responses are traced', async () => {
    // Prepare
    const addResponse = traced();
    const handler = instrumented(async () => ({ settled: true }));

    // Act
    await handler({}, lambdaContext());

    // Assess
    expect(addResponse).toHaveBeenCalledWith({ settled: true }, undefined);
  });
});
