import { beforeAll, describe, expect, it } from 'vitest';
import { Topics } from '#events';
import { ServiceFunction, TABLE_WRITE_ACTIONS } from '#lib/constructs/service-function';
import { SERVICE_TOPICS } from '#lib/stacks/service-stack';
import {
  actionsOf,
  buildTestApp,
  type PolicyStatementJson,
  roleStatements,
  type TestApp,
} from './app-fixture';

let testApp: TestApp;
let functions: ServiceFunction[];

const WRITES = new Set<string>(TABLE_WRITE_ACTIONS);
const statementsOf = (fn: ServiceFunction) => roleStatements(testApp.template(fn.stack), fn);
const leadingKeys = (
  statement: PolicyStatementJson & { Condition?: Record<string, Record<string, unknown>> },
) => statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];

describe('App: least privilege', () => {
  beforeAll(() => {
    testApp = buildTestApp({ stage: 'test' });
    functions = testApp.app.node
      .findAll()
      .filter((node): node is ServiceFunction => node instanceof ServiceFunction);
  });

  it("writes no other stack's table, except dead letters and the inventory service's own table through key-scoped grants", () => {
    // Act
    const crossStackWrites = functions.flatMap((fn) =>
      statementsOf(fn)
        .filter((statement) => actionsOf(statement).some((action) => WRITES.has(action)))
        .filter((statement) => JSON.stringify(statement.Resource).includes('Fn::ImportValue'))
        .map((statement) => ({ fn: fn.node.path, statement })),
    );

    // Assess
    expect(crossStackWrites.length).toBeGreaterThan(0);
    for (const { fn, statement } of crossStackWrites) {
      // The back office's stock changes run on the API (orders stack) as an inventory function.
      expect(JSON.stringify(statement.Resource), fn).toMatch(
        fn.endsWith('/AdjustStock') ? /InventoryTable/ : /DeadLetterTable/,
      );
      expect(leadingKeys(statement), fn).toBeDefined();
    }
  });

  it('lets the stock adjustment read and update stock items and put stock audit items only', () => {
    // Prepare
    const adjust = testApp.stacks.orders.functions.find(
      (fn) => fn.label === 'inventory-adjust-stock',
    ) as ServiceFunction;

    // Act
    const grants = statementsOf(adjust)
      .filter((s) => actionsOf(s)[0]?.startsWith('dynamodb:'))
      .map((s) => [
        JSON.stringify(s.Resource).includes('InventoryTable'),
        actionsOf(s).sort(),
        leadingKeys(s),
      ]);

    // Assess
    expect(adjust.serviceName).toBe('inventory');
    expect(grants.filter(([onInventory]) => onInventory)).toEqual([
      [true, ['dynamodb:GetItem', 'dynamodb:UpdateItem'], ['STOCK#*']],
      [true, ['dynamodb:PutItem'], ['AUDIT#STOCK#*']],
    ]);
    expect(grants.filter(([onInventory]) => !onInventory).flatMap(([, actions]) => actions)).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/Put|Update|Delete|BatchWrite/)]),
    );
  });

  it('lets the catalog add products with PutItem on the products table only', () => {
    // Prepare
    const create = testApp.stacks.orders.functions.find(
      (fn) => fn.label === 'catalog-create-product',
    ) as ServiceFunction;

    // Act
    const grants = statementsOf(create)
      .filter((s) => actionsOf(s)[0]?.startsWith('dynamodb:'))
      .map((s) => [JSON.stringify(s.Resource).includes('ProductsTable'), actionsOf(s)]);

    // Assess
    expect(grants).toEqual([[true, ['dynamodb:PutItem']]]);
  });

  it('lets each consumer put dead letters, and count attempts and park records only of its own service', () => {
    // Prepare
    const consumers = [
      testApp.stacks.orders.saga,
      testApp.stacks.inventory.consumer,
      testApp.stacks.payments.consumer,
      testApp.stacks.notifications.consumer,
      testApp.stacks.analytics.consumer,
    ];

    // Act
    const grants = consumers.map((consumer) => [
      consumer.fn.serviceName,
      statementsOf(consumer.fn)
        .filter((statement) => JSON.stringify(statement.Resource).includes('DeadLetterTable'))
        .filter((statement) => !JSON.stringify(statement.Resource).includes('/index/parked'))
        .map((statement) => [statement.Action, leadingKeys(statement)]),
    ]);

    // Assess
    expect(grants).toEqual(
      consumers.map((consumer) => [
        consumer.fn.serviceName,
        [
          ['dynamodb:PutItem', ['DEADLETTER#*', `PARKED#${consumer.fn.serviceName}#*`]],
          ['dynamodb:UpdateItem', [`ATTEMPTS#${consumer.fn.serviceName}#*`]],
          ['dynamodb:DeleteItem', [`PARKED#${consumer.fn.serviceName}#*`]],
        ],
      ]),
    );
  });

  it('lets the back office query the status index and redrive through key-scoped grants only', () => {
    // Prepare
    const byLabel = (label: string) =>
      testApp.stacks.orders.functions.find((fn) => fn.label === label) as ServiceFunction;

    // Act
    const list = statementsOf(byLabel('admin-list-dead-letters')).filter((s) =>
      actionsOf(s)[0]?.startsWith('dynamodb:'),
    );
    const redrive = statementsOf(byLabel('admin-redrive-dead-letter')).filter((s) =>
      JSON.stringify(s.Resource).includes('DeadLetterTable'),
    );

    // Assess
    expect(list.map((s) => [s.Action, JSON.stringify(s.Resource).includes('/index/byStatus')])).toEqual([
      ['dynamodb:Query', true],
    ]);
    expect(redrive.map((s) => [s.Action, leadingKeys(s)])).toEqual([
      [['dynamodb:GetItem', 'dynamodb:UpdateItem'], ['DEADLETTER#*']],
      ['dynamodb:PutItem', ['PARKED#*']],
      ['dynamodb:DeleteItem', ['ATTEMPTS#*']],
    ]);
  });

  it("lets the catalog read only the stock items of the inventory service's table", () => {
    // Prepare
    const catalog = testApp.stacks.orders.functions.filter(
      (fn) =>
        fn.serviceName === 'catalog' &&
        !['catalog-seed-products', 'catalog-create-product'].includes(fn.label),
    );

    // Act
    const onInventory = catalog.map((fn) =>
      statementsOf(fn)
        .filter((s) => JSON.stringify(s.Resource).includes('InventoryTable'))
        .map((s) => [actionsOf(s).sort(), leadingKeys(s)]),
    );

    // Assess
    expect(onInventory).toEqual(
      catalog.map(() => [[['dynamodb:BatchGetItem', 'dynamodb:GetItem'], ['STOCK#*']]]),
    );
  });

  it('lets each relay and sweeper write only its own service’s topic', () => {
    // Prepare
    const outboxes = [
      testApp.stacks.orders.outbox,
      testApp.stacks.inventory.outbox,
      testApp.stacks.payments.outbox,
      testApp.stacks.notifications.outbox,
    ];

    // Act
    const topics = outboxes.flatMap((outbox) =>
      [outbox.relayFunction, outbox.sweeperFunction].map((fn) => [
        fn.label,
        statementsOf(fn)
          .filter((s) => s.Sid === 'MskTopicsProduce')
          .map((s) => JSON.stringify(s.Resource).match(/\/([a-z]+\.events)/)?.[1]),
      ]),
    );

    // Assess
    expect(topics).toEqual(
      outboxes.flatMap((outbox) =>
        [outbox.relayFunction, outbox.sweeperFunction].map((fn) => [
          fn.label,
          [SERVICE_TOPICS[fn.serviceName]],
        ]),
      ),
    );
    expect(Object.values(SERVICE_TOPICS).sort()).toEqual(Object.values(Topics).sort());
  });

  it('lets relays and sweepers update outbox rows only', () => {
    // Act
    const updates = functions
      .filter((fn) => fn.contract.name === 'relay' || fn.contract.name === 'sweeper')
      .flatMap((fn) => statementsOf(fn).filter((s) => actionsOf(s).includes('dynamodb:UpdateItem')))
      .map(leadingKeys);

    // Assess
    // A relay and a sweeper per outbox table: orders, inventory, payments, notifications, shipping.
    expect(updates.length).toBe(10);
    expect(new Set(updates.map((keys) => JSON.stringify(keys)))).toEqual(new Set(['["OUTBOX#*"]']));
  });
});

describe('App: prod edge', () => {
  it('puts an AWS WAF web ACL with a rate-based rule and the AWS managed common rules in front of the API in prod only', () => {
    // Prepare
    const prod = buildTestApp({
      stage: 'prod',
      pspMode: 'live',
      pspBaseUrl: 'https://psp.example.com/v1',
      pspApiKeySecret: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:psp/api-key-AbCdEf',
    });
    const dev = buildTestApp({ stage: 'test' });

    // Act
    const template = prod.template(prod.stacks.orders);
    const acls = Object.values(template.findResources('AWS::WAFv2::WebACL'));
    const associations = Object.values(template.findResources('AWS::WAFv2::WebACLAssociation'));

    // Assess
    expect(acls).toHaveLength(1);
    const rules = acls[0]?.Properties.Rules as { Name: string; Statement: Record<string, unknown> }[];
    expect(rules.map((rule) => rule.Name)).toEqual([
      'RateLimitPerIp',
      'AWSManagedRulesCommonRuleSet',
      'AWSManagedRulesKnownBadInputsRuleSet',
    ]);
    expect(rules[0]?.Statement).toEqual({
      RateBasedStatement: { Limit: 1000, AggregateKeyType: 'IP', EvaluationWindowSec: 300 },
    });
    expect(acls[0]?.Properties).toMatchObject({ Scope: 'REGIONAL', DefaultAction: { Allow: {} } });
    expect(associations).toHaveLength(1);
    expect(JSON.stringify(associations[0]?.Properties.ResourceArn)).toContain('/stages/');
    expect(Object.keys(dev.template(dev.stacks.orders).findResources('AWS::WAFv2::WebACL'))).toHaveLength(0);
  });

  it('verifies the tokens of an OpenID Connect issuer with a Lambda authorizer instead of Cognito', () => {
    // Prepare
    const oidc = buildTestApp({
      stage: 'test',
      authIssuer: 'https://login.example.com',
      authAudience: 'storefront',
    });

    // Act
    const template = oidc.template(oidc.stacks.orders);
    const authorizers = Object.values(template.findResources('AWS::ApiGateway::Authorizer'));
    const verifier = oidc.stacks.orders.functions.find((fn) => fn.label === 'identity-verify-token');
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method'));

    // Assess
    expect(oidc.stacks.identity).toBeUndefined();
    expect(authorizers).toEqual([
      expect.objectContaining({
        Properties: expect.objectContaining({
          Type: 'TOKEN',
          IdentitySource: 'method.request.header.Authorization',
        }),
      }),
    ]);
    expect(verifier).toBeDefined();
    expect(
      (
        template.toJSON().Resources as Record<string, { Properties: { Environment?: { Variables: object } } }>
      )[
        Object.keys(template.findResources('AWS::Lambda::Function')).find((id) =>
          id.startsWith('VerifyToken'),
        ) ?? ''
      ]?.Properties.Environment?.Variables,
    ).toMatchObject({
      AUTH_ISSUER: 'https://login.example.com',
      AUTH_AUDIENCE: 'storefront',
      AUTH_JWKS_URI: '',
    });
    expect(methods.filter((method) => method.Properties.AuthorizationType === 'CUSTOM')).toHaveLength(16);
    expect(methods.filter((method) => method.Properties.AuthorizationType === 'NONE')).toHaveLength(4);
  });
});
