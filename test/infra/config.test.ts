import { App, RemovalPolicy } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_API_THROTTLE, loadConfig, removalPolicyFor } from '#lib/config';
import { ConfigError } from '#lib/errors';

const appWith = (context: Record<string, unknown>) => new App({ context });
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:psp/api-key-AbCdEf';
const LIVE_PSP = { pspMode: 'live', pspBaseUrl: 'https://psp.example.com/v1', pspApiKeySecret: SECRET_ARN };
const BYO_ARN =
  'arn:aws:kafka:eu-west-1:123456789012:cluster/shared-kafka/0a1b2c3d-4e5f-6789-abcd-ef0123456789-s1';

describe('Config: loadConfig', () => {
  it('defaults to an environment-agnostic dev stage with the mock PSP', () => {
    // Prepare
    const app = appWith({});

    // Act
    const config = loadConfig(app);

    // Assess
    expect(config).toEqual({
      stage: 'dev',
      kafkaAuth: 'iam',
      kafkaEventSources: 'msk',
      pspMode: 'mock',
      notify: { mode: 'mock' },
      apiThrottle: DEFAULT_API_THROTTLE,
      auth: { mode: 'cognito', selfSignUp: false },
    });
    expect(DEFAULT_API_THROTTLE).toMatchObject({ rateLimit: 50, burstLimit: 100 });
  });

  it('reads every key, including CLI strings and a JSON apiThrottle', () => {
    // Prepare
    const app = appWith({
      stage: 'prod',
      mskClusterArn: BYO_ARN,
      mskBootstrapBrokers: 'b-1.kafka.example:9098,b-2.kafka.example:9098',
      kafkaAuth: 'iam',
      kafkaEventSources: 'bridge',
      ...LIVE_PSP,
      alarmEmail: 'ops@example.com',
      account: '123456789012',
      region: 'eu-west-1',
      apiThrottle: '{"rateLimit":"20","burstLimit":40,"createOrderRateLimit":5}',
      authIssuer: 'https://login.example.com',
      authAudience: 'storefront',
      authJwksUri: 'https://login.example.com/keys',
      notifyMode: 'aws',
      notifyFromEmail: 'orders@shop.example',
      notifySesConfigurationSet: 'order-mail',
      notifySmsSenderId: 'Shop',
      notifySmsOriginationNumber: '+14155550100',
    });

    // Act
    const config = loadConfig(app);

    // Assess
    expect(config).toEqual({
      stage: 'prod',
      mskClusterArn: BYO_ARN,
      mskBootstrapBrokers: 'b-1.kafka.example:9098,b-2.kafka.example:9098',
      kafkaAuth: 'iam',
      kafkaEventSources: 'bridge',
      pspMode: 'live',
      pspBaseUrl: 'https://psp.example.com/v1',
      pspApiKeySecretArn: SECRET_ARN,
      notify: {
        mode: 'aws',
        fromEmail: 'orders@shop.example',
        sesConfigurationSet: 'order-mail',
        smsSenderId: 'Shop',
        smsOriginationNumber: '+14155550100',
      },
      alarmEmail: 'ops@example.com',
      account: '123456789012',
      region: 'eu-west-1',
      apiThrottle: { rateLimit: 20, burstLimit: 40, createOrderRateLimit: 5, createOrderBurstLimit: 40 },
      auth: {
        mode: 'oidc',
        issuer: 'https://login.example.com',
        audience: 'storefront',
        jwksUri: 'https://login.example.com/keys',
      },
    });
  });

  it('treats empty context values as unset', () => {
    // Prepare
    const app = appWith({ mskClusterArn: '', alarmEmail: '  ' });

    // Act
    const config = loadConfig(app);

    // Assess
    expect(config.mskClusterArn).toBeUndefined();
    expect(config.alarmEmail).toBeUndefined();
  });

  it('rejects invalid values with one error listing every problem', () => {
    // Prepare
    const app = appWith({
      stage: 'Prod_1',
      mskClusterArn: 'arn:aws:kafka:eu-west-1:123:cluster',
      kafkaAuth: 'sasl',
      pspMode: 'sandbox',
      alarmEmail: 'not-an-email',
      region: 'Europe',
    });

    // Act
    const act = () => loadConfig(app);

    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(
      /"stage"[\s\S]*"mskClusterArn"[\s\S]*"kafkaAuth"[\s\S]*"pspMode"[\s\S]*"alarmEmail"[\s\S]*"region"/,
    );
  });

  it('takes kafkaEventSources=bridge only with a bring-your-own cluster and its brokers', () => {
    // Prepare
    const cases = [
      { kafkaEventSources: 'bridge' },
      { kafkaEventSources: 'bridge', mskClusterArn: BYO_ARN },
      { kafkaEventSources: 'lambda', mskClusterArn: BYO_ARN, mskBootstrapBrokers: 'kafka:9092' },
    ];

    // Act
    const outcomes = cases.map((context) => () => loadConfig(appWith(context)));

    // Assess
    expect(outcomes[0]).toThrow(/"kafkaEventSources=bridge" only applies to a bring-your-own cluster/);
    expect(outcomes[1]).toThrow(/"kafkaEventSources=bridge" only applies to a bring-your-own cluster/);
    expect(outcomes[2]).toThrow(/"kafkaEventSources" must be one of msk, bridge, got "lambda"/);
    expect(
      loadConfig(
        appWith({ kafkaEventSources: 'bridge', mskClusterArn: BYO_ARN, mskBootstrapBrokers: 'kafka:9092' }),
      ).kafkaEventSources,
    ).toBe('bridge');
  });

  it('requires an https PSP URL exactly when the PSP is live', () => {
    // Prepare
    const cases = [
      { pspMode: 'live', pspApiKeySecret: SECRET_ARN },
      { pspMode: 'live', pspBaseUrl: 'http://psp.example.com', pspApiKeySecret: SECRET_ARN },
      { pspMode: 'mock', pspBaseUrl: 'https://psp.example.com' },
    ];

    // Act
    const outcomes = cases.map((context) => () => loadConfig(appWith(context)));

    // Assess
    for (const outcome of outcomes) expect(outcome).toThrow(/pspBaseUrl/);
    expect(loadConfig(appWith(LIVE_PSP)).pspBaseUrl).toBe('https://psp.example.com/v1');
  });

  it('requires the ARN of the PSP API key secret exactly when the PSP is live', () => {
    // Prepare
    const cases = [
      { pspMode: 'live', pspBaseUrl: 'https://psp.example.com/v1' },
      { ...LIVE_PSP, pspApiKeySecret: 'psp/api-key' },
      { pspMode: 'mock', pspApiKeySecret: SECRET_ARN },
    ];

    // Act
    const outcomes = cases.map((context) => () => loadConfig(appWith(context)));

    // Assess
    for (const outcome of outcomes) expect(outcome).toThrow(/pspApiKeySecret/);
  });

  it('sends through the mock providers by default and through SES and SNS with notifyMode=aws and a sender', () => {
    // Prepare
    const minimal = appWith({ notifyMode: 'aws', notifyFromEmail: ' orders@shop.example ' });

    // Act
    const config = loadConfig(minimal);

    // Assess
    expect(config.notify).toEqual({ mode: 'aws', fromEmail: 'orders@shop.example' });
    expect(loadConfig(appWith({ notifyMode: 'mock' })).notify).toEqual({ mode: 'mock' });
  });

  it('requires notifyFromEmail with notifyMode=aws, with a message that says what it is', () => {
    // Prepare
    const app = appWith({ notifyMode: 'aws' });

    // Act
    const act = () => loadConfig(app);

    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(
      'Context "notifyMode=aws" needs "notifyFromEmail", the sender address (it or its domain must be a verified Amazon SES identity)',
    );
  });

  it.each([
    [{ notifyMode: 'ses' }, 'Context "notifyMode" must be one of mock, aws, got "ses"'],
    [
      { notifyMode: 'aws', notifyFromEmail: 'Shop <orders@shop.example>' },
      'Context "notifyFromEmail" must be a plain email address such as orders@shop.example (no display name), got "Shop <orders@shop.example>"',
    ],
    [{ notifyMode: 'aws', notifyFromEmail: 'orders@localhost' }, 'Context "notifyFromEmail" must be a plain'],
    [
      { notifyMode: 'aws', notifyFromEmail: 'orders@shop.example', notifySesConfigurationSet: 'order mail' },
      'Context "notifySesConfigurationSet" must be an SES configuration set name',
    ],
    [
      { notifyMode: 'aws', notifyFromEmail: 'orders@shop.example', notifySmsSenderId: 'TooLongSender1' },
      'Context "notifySmsSenderId" must be an SMS sender id of 3 to 11 letters and digits, at least one letter',
    ],
    [
      { notifyMode: 'aws', notifyFromEmail: 'orders@shop.example', notifySmsSenderId: '12345' },
      'Context "notifySmsSenderId" must be an SMS sender id',
    ],
    [
      { notifyMode: 'aws', notifyFromEmail: 'orders@shop.example', notifySmsOriginationNumber: '0044123456' },
      'Context "notifySmsOriginationNumber" must be a phone number in E.164 form such as +14155550100, got "0044123456"',
    ],
    [
      { notifyFromEmail: 'orders@shop.example' },
      'Context "notifyFromEmail" only applies together with "notifyMode=aws"',
    ],
    [
      { notifyMode: 'mock', notifySmsSenderId: 'Shop', notifySesConfigurationSet: 'order-mail' },
      'Context "notifySesConfigurationSet" only applies together with "notifyMode=aws"',
    ],
  ])('fails synth on notification context %j', (context, message) => {
    // Prepare
    const app = appWith(context);

    // Act
    const act = () => loadConfig(app);

    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(message);
  });

  it('refuses the mock PSP in prod with a message that says what to deploy instead', () => {
    // Prepare
    const cases = [{ stage: 'prod' }, { stage: 'prod', pspMode: 'mock' }];

    // Act
    const outcomes = cases.map((context) => () => loadConfig(appWith(context)));

    // Assess
    for (const outcome of outcomes) {
      expect(outcome).toThrow(ConfigError);
      expect(outcome).toThrow(
        /"pspMode=mock" is not allowed with "stage=prod": the mock PSP authorizes test tokens without taking money\. Deploy prod with -c pspMode=live/,
      );
    }
    expect(loadConfig(appWith({ stage: 'prod', ...LIVE_PSP })).pspMode).toBe('live');
  });

  it('signs in with Cognito unless an OpenID Connect issuer and audience are given together', () => {
    // Prepare
    const cases = [
      { authIssuer: 'https://login.example.com' },
      { authAudience: 'storefront' },
      { authIssuer: 'http://login.example.com', authAudience: 'storefront' },
      { authJwksUri: 'https://login.example.com/keys' },
      { authIssuer: 'https://login.example.com', authAudience: 'storefront', selfSignUp: 'true' },
      { selfSignUp: 'maybe' },
    ];

    // Act
    const outcomes = cases.map((context) => () => loadConfig(appWith(context)));

    // Assess
    for (const outcome of outcomes) expect(outcome).toThrow(/authIssuer|authAudience|authJwksUri|selfSignUp/);
    expect(loadConfig(appWith({ selfSignUp: 'true' })).auth).toEqual({ mode: 'cognito', selfSignUp: true });
    expect(
      loadConfig(appWith({ authIssuer: 'https://login.example.com', authAudience: 'storefront' })).auth,
    ).toEqual({ mode: 'oidc', issuer: 'https://login.example.com', audience: 'storefront' });
  });

  it('rejects throttles that are not positive integers or exceed the stage limits', () => {
    // Prepare
    const cases = [
      { apiThrottle: { rateLimit: 0 } },
      { apiThrottle: { burstLimit: 1.5 } },
      { apiThrottle: { rateLimit: 10, createOrderRateLimit: 20 } },
      { apiThrottle: { rate: 10 } },
      { apiThrottle: 'not json' },
    ];

    // Act
    const outcomes = cases.map((context) => () => loadConfig(appWith(context)));

    // Assess
    for (const outcome of outcomes) expect(outcome).toThrow(/apiThrottle/);
  });

  it('rejects bootstrap brokers without a bring-your-own cluster', () => {
    // Prepare
    const app = appWith({ mskBootstrapBrokers: 'b-1.kafka.example:9098' });

    // Act
    const act = () => loadConfig(app);

    // Assess
    expect(act).toThrow(/mskBootstrapBrokers" only applies together with "mskClusterArn"/);
  });

  it('accepts plaintext Kafka for a bring-your-own cluster with explicit brokers', () => {
    // Prepare
    const app = appWith({ mskClusterArn: BYO_ARN, mskBootstrapBrokers: 'kafka:9092', kafkaAuth: 'none' });

    // Act
    const config = loadConfig(app);

    // Assess
    expect(config).toMatchObject({
      mskClusterArn: BYO_ARN,
      mskBootstrapBrokers: 'kafka:9092',
      kafkaAuth: 'none',
    });
  });

  it('rejects plaintext Kafka unless the cluster and its brokers are brought', () => {
    // Prepare
    const cases = [{ kafkaAuth: 'none' }, { kafkaAuth: 'none', mskClusterArn: BYO_ARN }];

    // Act
    const outcomes = cases.map((context) => () => loadConfig(appWith(context)));

    // Assess
    for (const outcome of outcomes) {
      expect(outcome).toThrow(ConfigError);
      expect(outcome).toThrow(/"kafkaAuth=none" \(plaintext\) only applies to a bring-your-own cluster/);
    }
  });

  it('retains stateful resources in prod only', () => {
    // Prepare
    const stages = ['prod', 'dev', 'staging'];

    // Act
    const policies = stages.map((stage) => removalPolicyFor({ stage }));

    // Assess
    expect(policies).toEqual([RemovalPolicy.RETAIN, RemovalPolicy.DESTROY, RemovalPolicy.DESTROY]);
  });
});
