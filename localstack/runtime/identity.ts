import { createHash } from 'node:crypto';
import { localClientId, localUserPoolId } from './cognito';
import type { LocalIdentity } from './resolve';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './resolve';
import { localSecretArn, localSecretName } from './secrets';
import type { StackTemplate } from './template';

const arn = (service: string, resource: string) =>
  `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${resource}`;

/**
 * A REST API's id: ten lower-case letters and digits like API Gateway's, derived from the stack and
 * logical id, so two stacks' APIs of the same logical id differ and an API keeps its id across starts.
 */
export function localRestApiId(stack: StackTemplate, logicalId: string): string {
  const bytes = createHash('sha256').update(`${stack.stackName}/${logicalId}`).digest();
  return [...bytes.subarray(0, 10)].map((byte) => 'abcdefghijklmnopqrstuvwxyz0123456789'[byte % 36]).join('');
}

function explicitName(props: Record<string, unknown> | undefined, key: string): string | undefined {
  const value = props?.[key];
  return typeof value === 'string' ? value : undefined;
}

/** Local names follow the stack and logical id, as CloudFormation's generated names do. */
export function physicalName(stack: StackTemplate, logicalId: string): string {
  return `${stack.stackName}-${logicalId}`.slice(0, 140);
}

/** The local identity (Ref value and attributes) of any resource in the templates. */
export function localIdentity(stack: StackTemplate, logicalId: string): LocalIdentity {
  const resource = stack.resources[logicalId];
  const props = resource?.Properties;
  const generic = physicalName(stack, logicalId);
  const fallback = (ref: string, attributes: Record<string, string> = {}): LocalIdentity => ({
    ref,
    attributes: new Proxy(attributes, {
      get: (target, key) => (typeof key === 'string' ? (target[key] ?? `${ref}.${key}`) : undefined),
    }),
  });
  switch (resource?.Type) {
    case 'AWS::DynamoDB::Table': {
      const name = explicitName(props, 'TableName') ?? generic;
      return fallback(name, {
        Arn: arn('dynamodb', `table/${name}`),
        StreamArn: arn('dynamodb', `table/${name}/stream/local`),
      });
    }
    case 'AWS::Lambda::Function': {
      const name = explicitName(props, 'FunctionName') ?? generic.slice(0, 64);
      return fallback(name, { Arn: arn('lambda', `function:${name}`) });
    }
    case 'AWS::SQS::Queue': {
      const name = explicitName(props, 'QueueName') ?? generic.slice(0, 80);
      return fallback(`http://sqs.local/${LOCAL_ACCOUNT}/${name}`, {
        Arn: arn('sqs', name),
        QueueName: name,
        QueueUrl: `http://sqs.local/${LOCAL_ACCOUNT}/${name}`,
      });
    }
    case 'AWS::S3::Bucket': {
      // Bucket names are lower case, at most 63 characters.
      const name = explicitName(props, 'BucketName') ?? generic.toLowerCase().slice(0, 63);
      return fallback(name, {
        Arn: `arn:aws:s3:::${name}`,
        DomainName: `${name}.s3.amazonaws.com`,
        RegionalDomainName: `${name}.s3.${LOCAL_REGION}.amazonaws.com`,
      });
    }
    case 'AWS::SNS::Topic': {
      const name = explicitName(props, 'TopicName') ?? generic;
      return fallback(arn('sns', name), { TopicArn: arn('sns', name), TopicName: name });
    }
    case 'AWS::MSK::ServerlessCluster':
    case 'AWS::MSK::Cluster': {
      const name = explicitName(props, 'ClusterName') ?? generic;
      const clusterArn = arn('kafka', `cluster/${name}/00000000-0000-0000-0000-000000000000-1`);
      return fallback(clusterArn, { Arn: clusterArn });
    }
    case 'AWS::IAM::Role':
      return fallback(generic, { Arn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${generic}` });
    case 'AWS::Logs::LogGroup': {
      const name = explicitName(props, 'LogGroupName') ?? `/local/${generic}`;
      return fallback(name, { Arn: arn('logs', `log-group:${name}:*`) });
    }
    case 'AWS::ApiGateway::Stage':
      return fallback(explicitName(props, 'StageName') ?? logicalId);
    case 'AWS::ApiGateway::RestApi': {
      const id = localRestApiId(stack, logicalId);
      return fallback(id, { RootResourceId: `${id}-root` });
    }
    case 'AWS::Cognito::UserPool': {
      const id = localUserPoolId(stack, logicalId);
      return fallback(id, {
        Arn: arn('cognito-idp', `userpool/${id}`),
        UserPoolId: id,
        ProviderName: `cognito-idp.${LOCAL_REGION}.amazonaws.com/${id}`,
        ProviderURL: `https://cognito-idp.${LOCAL_REGION}.amazonaws.com/${id}`,
      });
    }
    case 'AWS::Cognito::UserPoolClient': {
      const id = localClientId(stack, logicalId);
      return fallback(id, { ClientId: id });
    }
    case 'AWS::SecretsManager::Secret': {
      const secretArn = localSecretArn(localSecretName(stack, logicalId));
      return fallback(secretArn, { Id: secretArn });
    }
    case 'AWS::StepFunctions::StateMachine': {
      const name = explicitName(props, 'StateMachineName') ?? generic;
      const machineArn = arn('states', `stateMachine:${name}`);
      return fallback(machineArn, { Arn: machineArn, Name: name });
    }
    default:
      return fallback(generic, { Arn: arn('local', generic) });
  }
}
