import { App, type PolicyValidationPluginReport, Stack } from 'aws-cdk-lib';
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

describe('App: cdk-nag', () => {
  beforeAll(() => {
    apps = {
      'created cluster, alarm email, prod': buildTestApp({ stage: 'prod', alarmEmail: 'ops@example.com' }),
      'bring-your-own cluster': buildTestApp({
        mskClusterArn:
          'arn:aws:kafka:eu-west-1:123456789012:cluster/shared/0a1b2c3d-4e5f-6789-abcd-ef0123456789-s1',
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
