import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type { Construct } from 'constructs';
import { ADMIN_GROUP } from '#platform/auth';
import { type AppConfig, removalPolicyFor } from '../config';

export interface IdentityStackProps extends StackProps {
  readonly config: AppConfig;
}

/**
 * Sign-in for customers and the back office: a Cognito user pool (email as the user name, a strong
 * password policy, optional TOTP MFA, no self sign-up unless `-c selfSignUp=true`), one app client
 * for the storefront and tools (USER_PASSWORD_AUTH and SRP, no client secret), and the `admins`
 * group whose members may use `/admin/*`. The API's Cognito authorizer accepts this pool's ID tokens.
 */
export class IdentityStack extends Stack {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;
  readonly adminGroup: cognito.CfnUserPoolGroup;

  constructor(scope: Construct, id: string, props: IdentityStackProps) {
    super(scope, id, props);
    const { config } = props;
    const prod = config.stage === 'prod';
    const selfSignUp = config.auth.mode === 'cognito' && config.auth.selfSignUp;

    this.userPool = new cognito.UserPool(this, 'UserPool', {
      userPoolName: `order-saga-${config.stage}`,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      selfSignUpEnabled: selfSignUp,
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      deletionProtection: prod,
      removalPolicy: removalPolicyFor(config),
    });
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG2',
      reason:
        'MFA is optional (TOTP): customers of a storefront choose it; back-office users should be required to enroll by the operator’s own policy.',
    });
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG8',
      reason:
        'The Essentials feature plan covers sign-in, groups and MFA; the Plus plan (threat protection) is a paid option an operator can switch on.',
    });

    this.client = this.userPool.addClient('AppClient', {
      userPoolClientName: 'storefront',
      authFlows: { userPassword: true, userSrp: true },
      // No hosted UI: the storefront and tools sign in with the user pool API (InitiateAuth).
      disableOAuth: true,
      generateSecret: false,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });

    this.adminGroup = new cognito.CfnUserPoolGroup(this, 'AdminGroup', {
      userPoolId: this.userPool.userPoolId,
      groupName: ADMIN_GROUP,
      description: 'Back-office users: /admin/* (dead letters, redrive, metrics)',
    });

    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.client.userPoolClientId });
    new CfnOutput(this, 'Issuer', {
      value: `https://cognito-idp.${this.region}.amazonaws.com/${this.userPool.userPoolId}`,
      description: 'The issuer (iss) of the ID tokens the API accepts',
    });
  }
}
