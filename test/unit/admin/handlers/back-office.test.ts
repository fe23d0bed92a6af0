import './env';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler as listDeadLetters } from '#functions/admin/handlers/list-dead-letters';
import { handler as redriveDeadLetter } from '#functions/admin/handlers/redrive-dead-letter';
import { handler as getMetrics } from '#functions/analytics/handlers/get-metrics';
import type { DeadLetterItem } from '#platform/consumer/dead-letters';
import { ADMIN_CALLER, apiGatewayEvent, callerContext, lambdaContext } from '#test/helpers/fixtures';

const ddb = mockClient(DynamoDBDocumentClient);
const ID = '01JN8S7QG0AAAAAAAAAAAAAAAA';
const TOKEN = 'tok_secret_4242';
const CUSTOMER = 'c0ffee00-1111-4222-8333-444455556666';

const rawValue = JSON.stringify({
  eventId: '01JN8S7QWWHQQKNETG34RA04PS',
  eventType: 'OrderCreated',
  payload: { orderId: 'o-7', customerId: CUSTOMER, payment: { method: 'card', token: TOKEN } },
});

const letter: DeadLetterItem = {
  pk: `DEADLETTER#${ID}`,
  sk: 'DEADLETTER',
  entity: 'DEADLETTER',
  id: ID,
  service: 'inventory',
  topic: 'orders.events',
  partition: 1,
  offset: '7',
  key: 'o-7',
  rawValue,
  eventId: '01JN8S7QWWHQQKNETG34RA04PS',
  eventType: 'OrderCreated',
  aggregateId: 'o-7',
  errorKind: 'HANDLER_FAILED',
  errorMessage: `payment.token ${TOKEN} of customer "customerId":"${CUSTOMER}" is invalid`,
  issues: [{ path: 'payload.payment.token', message: `bad token ${TOKEN}` }],
  attempts: 1,
  createdAt: '2025-03-01T12:00:00.000Z',
  status: 'OPEN',
  expiresAt: 1_743_422_400,
};

type Handler = (
  event: APIGatewayProxyEvent,
  context: ReturnType<typeof lambdaContext>,
) => Promise<{
  statusCode: number;
  body: string;
}>;

const routes: Array<
  [string, Handler, (overrides: Parameters<typeof apiGatewayEvent>[1]) => APIGatewayProxyEvent]
> = [
  ['GET /admin/dead-letters', listDeadLetters, (o) => apiGatewayEvent('GET /admin/dead-letters', o)],
  [
    'POST /admin/dead-letters/{id}/redrive',
    redriveDeadLetter,
    (o) => apiGatewayEvent('POST /admin/dead-letters/{id}/redrive', { pathParameters: { id: ID }, ...o }),
  ],
  ['GET /admin/metrics', getMetrics, (o) => apiGatewayEvent('GET /admin/metrics', o)],
];

describe('Handler: back office (/admin/*)', () => {
  beforeEach(() => {
    ddb.reset();
    ddb.on(GetCommand).resolves({ Item: letter });
    ddb.on(QueryCommand).resolves({ Items: [letter] });
    ddb.on(TransactWriteCommand).resolves({});
  });

  it.each(routes)(
    '%s answers 403 FORBIDDEN to a signed-in customer, and reads or writes nothing',
    async (_, run, event) => {
      // Act
      const result = await run(event({}), lambdaContext());

      // Assess
      expect(result.statusCode).toBe(403);
      expect(JSON.parse(result.body).error).toMatchObject({ code: 'FORBIDDEN', details: [] });
      expect(ddb.calls()).toHaveLength(0);
    },
  );

  it.each(routes)(
    '%s answers 401 UNAUTHORIZED without a verified caller, and reads or writes nothing',
    async (_, run, event) => {
      // Act
      const result = await run(event(callerContext(null)), lambdaContext());

      // Assess
      expect(result.statusCode).toBe(401);
      expect(ddb.calls()).toHaveLength(0);
    },
  );

  it('lists dead letters for an admin without payment tokens or customer ids', async () => {
    // Act
    const result = await listDeadLetters(
      apiGatewayEvent('GET /admin/dead-letters', callerContext(ADMIN_CALLER)),
      lambdaContext(),
    );

    // Assess
    expect(result.statusCode).toBe(200);
    expect(result.body).not.toContain(TOKEN);
    expect(result.body).not.toContain(CUSTOMER);
    const [item] = JSON.parse(result.body).items;
    expect(JSON.parse(item.rawValue)).toMatchObject({
      payload: { orderId: 'o-7', customerId: '[REDACTED]', payment: { method: 'card', token: '[REDACTED]' } },
    });
  });

  it('records who redrove a dead letter and when, and shows it in the answer', async () => {
    // Act
    const result = await redriveDeadLetter(
      apiGatewayEvent('POST /admin/dead-letters/{id}/redrive', {
        pathParameters: { id: ID },
        ...callerContext(ADMIN_CALLER),
      }),
      lambdaContext(),
    );

    // Assess
    expect(result.statusCode).toBe(202);
    const update = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.[0]?.Update;
    expect(update?.UpdateExpression).toContain('redrivenBy = :by');
    expect(update?.ExpressionAttributeValues).toMatchObject({ ':by': `ops-admin (${ADMIN_CALLER.sub})` });
    const body = JSON.parse(result.body);
    expect(body).toMatchObject({ status: 'REDRIVEN', redrivenBy: `ops-admin (${ADMIN_CALLER.sub})` });
    expect(body.redrivenAt).toEqual(expect.any(String));
    expect(result.body).not.toContain(TOKEN);
  });
});
