import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { buildApp } from '../lib/app';
import { loadConfig } from '../lib/config';
import { ConfigError } from '../lib/errors';

const app = new App();
try {
  buildApp(app, loadConfig(app));
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}

// cdk-nag runs as a policy validation plugin: an unacknowledged finding fails `cdk synth`/`cdk deploy`
// (report in cdk.out/validation-report.json). `-c nag=false` skips it, e.g. while iterating locally.
if (String(app.node.tryGetContext('nag') ?? 'true') !== 'false') {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
}
