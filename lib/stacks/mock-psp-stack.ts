import { CfnOutput } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { MockPsp, type MockPspProps } from '../constructs/mock-psp';
import { ServiceStack, type ServiceStackProps } from './service-stack';

export interface MockPspStackProps extends ServiceStackProps {
  readonly psp?: Omit<MockPspProps, 'stage' | 'removalPolicy'>;
}

/**
 * The mock PSP (`pspMode=mock`, never with `stage=prod`) in its own stack, on its own REST API that
 * needs the API key from its Secrets Manager secret; nothing of it is on the public order API.
 */
export class MockPspStack extends ServiceStack {
  readonly psp: MockPsp;

  constructor(scope: Construct, id: string, props: MockPspStackProps) {
    super(scope, id, 'mock-psp', props);
    this.psp = new MockPsp(this, 'MockPsp', {
      ...props.psp,
      stage: this.config.stage,
      removalPolicy: this.removalPolicy,
    });
    this.alarms.push(
      this.errorsAlarm('CreatePaymentErrorsAlarm', this.psp.createPayment, 'Mock PSP: POST /payments fails'),
    );
    new CfnOutput(this, 'ApiUrl', { value: this.psp.baseUrl, description: 'Base URL of the mock PSP API' });
    new CfnOutput(this, 'ApiKeySecretArn', {
      value: this.psp.apiKeySecret.secretArn,
      description: 'The mock PSP API key (header X-Api-Key)',
    });
  }
}
