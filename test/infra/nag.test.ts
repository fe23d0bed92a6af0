import { App, type PolicyValidationPluginReport, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from './app-fixture';

/** Findings as `severity rule @ construct path`, for readable failures. */
const findings = (report: PolicyValidationPluginReport): string[] =>
  report.violations.flatMap((violation) =>
    violation.violatingResources.map(
      (resource) =>
        `${violation.severity} ${violation.ruleName} @ ${resource.constructPath}: ${violation.description}`,
    ),
  );

let apps: Record<string, TestApp>;

interface Acknowledgement {
  path: string;
  rule: string;
  reason: string;
}

/** Every acknowledgement recorded in an app, with the construct it is on. */
function acknowledgements(app: App): Acknowledgement[] {
  return app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([rule, reason]) => ({
          path: construct.node.path,
          rule: rule.replace(/^.*::/, ''),
          reason,
        })),
      ),
  );
}

/** `METHOD /path` of every API Gateway method at or under `path` in the app. */
function methodsUnder(app: App, path: string): string[] {
  return app.node
    .findAll()
    .filter((construct): construct is apigateway.Method => construct instanceof apigateway.Method)
    .filter((method) => method.node.path === path || method.node.path.startsWith(`${path}/`))
    .map((method) => `${method.httpMethod} ${method.resource.path}`);
}

describe('App: cdk-nag', () => {
  beforeAll(() => {
    apps = {
      'created cluster, alarm email, live PSP, prod': buildTestApp({
        stage: 'prod',
        alarmEmail: 'ops@example.com',
        pspMode: 'live',
        pspBaseUrl: 'https://psp.example.com/v1',
        pspApiKeySecret: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:psp/api-key-AbCdEf',
      }),
      'bring-your-own cluster, mock PSP': buildTestApp({
        mskClusterArn:
          'arn:aws:kafka:eu-west-1:123456789012:cluster/shared/0a1b2c3d-4e5f-6789-abcd-ef0123456789-s1',
      }),
      'OpenID Connect issuer': buildTestApp({
        authIssuer: 'https://login.example.com',
        authAudience: 'storefront',
      }),
      'notifications through SES and SNS': buildTestApp({
        notifyMode: 'aws',
        notifyFromEmail: 'orders@shop.example',
        notifySesConfigurationSet: 'order-mail',
        notifySmsSenderId: 'Shop',
      }),
    };
    // Synthesize first, so resources added during synthesis are checked too.
    for (const testApp of Object.values(apps)) {
      for (const stack of Object.values(testApp.stacks)) testApp.template(stack);
    }
  });

  it('has no unacknowledged AwsSolutions findings', () => {
    // Prepare
    const entries = Object.entries(apps);

    // Act
    const results = entries.map(([name, { app }]) => [
      name,
      findings(new AwsSolutionsChecks(app).validateScope(app)),
    ]);

    // Assess
    expect(results).toEqual(entries.map(([name]) => [name, []]));
  });

  it('has no unacknowledged Serverless findings', () => {
    // Prepare
    const entries = Object.entries(apps);

    // Act
    const results = entries.map(([name, { app }]) => [
      name,
      findings(new ServerlessChecks(app).validateScope(app)),
    ]);

    // Assess
    expect(results).toEqual(entries.map(([name]) => [name, []]));
  });

  it('acknowledges no authorization findings but on the public catalog, health and OpenAPI routes and the signed carrier webhook', () => {
    // Prepare
    const { app } = apps['created cluster, alarm email, live PSP, prod'] as TestApp;

    // Act
    const authorization = acknowledgements(app).filter((ack) => /APIG4|COG4/.test(ack.rule));

    // Assess
    const onMethods = [...new Set(authorization.map((ack) => methodsUnder(app, ack.path).join(',')))].sort();
    expect(onMethods).toEqual([
      'GET /health',
      'GET /openapi.json',
      'GET /products',
      'GET /products/{productId}',
      'POST /carrier/webhooks',
    ]);
    expect(new Set(authorization.map((ack) => ack.rule))).toEqual(
      new Set(['AwsSolutions-APIG4', 'AwsSolutions-COG4']),
    );
  });

  it('acknowledges COG4 (no Cognito) only on the machine-to-machine mock PSP API and, with an OpenID Connect issuer, on its Lambda-authorized routes', () => {
    // Prepare
    const mock = apps['bring-your-own cluster, mock PSP'] as TestApp;
    const oidc = apps['OpenID Connect issuer'] as TestApp;
    const cog4Only = (app: App) =>
      acknowledgements(app)
        .filter((ack) => ack.rule === 'AwsSolutions-COG4' && !/public by design/.test(ack.reason))
        .flatMap((ack) => methodsUnder(app, ack.path));

    // Act
    const onMock = cog4Only(mock.app);
    const onOidc = cog4Only(oidc.app);

    // Assess
    expect(onMock.sort()).toEqual([
      'GET /payments/{paymentId}',
      'POST /payments',
      'POST /payments/{paymentId}/refund',
      'POST /payments/{paymentId}/void',
    ]);
    expect(onOidc).toEqual(
      expect.arrayContaining(['POST /orders', 'GET /orders', 'GET /admin/dead-letters']),
    );
    // The public routes: catalog (2), health, OpenAPI, carrier webhook.
    expect(acknowledgements(oidc.app).filter((ack) => ack.rule === 'AwsSolutions-APIG4').length).toBe(5);
  });

  it('acknowledges the wildcard of sns:Publish (SMS) only on the notification consumer and only with notifyMode=aws', () => {
    // Prepare
    const sms = (app: App) =>
      acknowledgements(app).filter((ack) => ack.reason.includes('sns:Publish to a phone number'));

    // Act
    const withAws = sms((apps['notifications through SES and SNS'] as TestApp).app);
    const withMock = Object.entries(apps)
      .filter(([name]) => name !== 'notifications through SES and SNS')
      .flatMap(([, { app }]) => sms(app));

    // Assess
    expect(withAws.map((ack) => ack.path)).toEqual(['OrderSaga-dev-Notifications/Consumer/Function']);
    expect(withMock).toEqual([]);
  });

  it('gives every acknowledgement a reason', () => {
    // Act
    const missing = Object.values(apps)
      .flatMap(({ app }) => acknowledgements(app))
      .filter((ack) => ack.reason.trim().length < 20);

    // Assess
    expect(missing).toEqual([]);
  });

  it('reports findings that are not acknowledged', () => {
    // Prepare
    const app = new App();
    const stack = new Stack(app, 'Probe');
    new sqs.Queue(stack, 'Queue', { enforceSSL: true });

    // Act
    const report = new ServerlessChecks(app).validateScope(app);

    // Assess
    expect(findings(report)).toEqual([
      expect.stringMatching(/^error Serverless-SQSRedrivePolicy @ Probe\/Queue\/Resource/),
    ]);
  });
});
