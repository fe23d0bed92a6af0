import { describe, expect, it } from 'vitest';
import { localIdentity } from '#localstack/runtime/identity';
import { type LocalIdentity, Resolver } from '#localstack/runtime/resolve';
import { type CfnResource, type StackTemplate, TemplateError } from '#localstack/runtime/template';

function stack(
  stackName: string,
  resources: Record<string, CfnResource>,
  extra: Partial<Pick<StackTemplate, 'outputs' | 'parameters'>> = {},
): StackTemplate {
  return { stackName, resources, outputs: extra.outputs ?? {}, parameters: extra.parameters ?? {} };
}

const storage = stack(
  'Storage',
  {
    OrdersTable: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'orders' } },
    Handler: { Type: 'AWS::Lambda::Function', Properties: {} },
  },
  {
    parameters: { Stage: { Default: 'dev' } },
    outputs: {
      TableName: { Value: { Ref: 'OrdersTable' }, Export: { Name: 'Storage:OrdersTableName' } },
      TableArn: {
        Value: { 'Fn::GetAtt': ['OrdersTable', 'Arn'] },
        Export: { Name: { 'Fn::Join': [':', [{ Ref: 'AWS::StackName' }, 'OrdersTableArn']] } },
      },
    },
  },
);
const service = stack('Service', {
  Worker: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'worker' } },
});

const resolver = () => new Resolver([storage, service], localIdentity);

describe('Class: Resolver', () => {
  describe('Ref', () => {
    it('resolves a resource to its local name', () => {
      // Prepare
      const r = resolver();

      // Act
      const value = r.resolve(storage, { Ref: 'OrdersTable' });

      // Assess
      expect(value).toBe('orders');
    });

    it('gives REST APIs of the same logical id in two stacks different ids, as API Gateway does', () => {
      // Prepare
      const orders = stack('Orders', { Api: { Type: 'AWS::ApiGateway::RestApi', Properties: {} } });
      const shipping = stack('Shipping', { Api: { Type: 'AWS::ApiGateway::RestApi', Properties: {} } });
      const r = new Resolver([orders, shipping], localIdentity);

      // Act
      const ids = [r.resolve(orders, { Ref: 'Api' }), r.resolve(shipping, { Ref: 'Api' })];

      // Assess
      expect(ids[0]).not.toBe(ids[1]);
      for (const id of ids) expect(id).toMatch(/^[a-z0-9]{10}$/);
      expect(r.resolve(orders, { Ref: 'Api' })).toBe(ids[0]);
      expect(r.resolve(orders, { 'Fn::GetAtt': ['Api', 'RootResourceId'] })).not.toBe(
        r.resolve(shipping, { 'Fn::GetAtt': ['Api', 'RootResourceId'] }),
      );
    });

    it('resolves a resource without an explicit name to a name from stack and logical id', () => {
      // Prepare
      const r = resolver();

      // Act
      const value = r.resolve(storage, { Ref: 'Handler' });

      // Assess
      expect(value).toBe('Storage-Handler');
    });

    it('resolves the pseudo parameters to the local account, region and stack', () => {
      // Prepare
      const r = resolver();

      // Act
      const values = r.resolve(storage, [
        { Ref: 'AWS::Region' },
        { Ref: 'AWS::AccountId' },
        { Ref: 'AWS::Partition' },
        { Ref: 'AWS::URLSuffix' },
        { Ref: 'AWS::StackName' },
        { Ref: 'AWS::StackId' },
        { Ref: 'AWS::NoValue' },
      ]);

      // Assess
      expect(values).toEqual([
        'us-east-1',
        '000000000000',
        'aws',
        'amazonaws.com',
        'Storage',
        'arn:aws:cloudformation:us-east-1:000000000000:stack/Storage/local',
        undefined,
      ]);
    });

    it('resolves a parameter to its default', () => {
      // Prepare
      const r = resolver();

      // Act
      const value = r.resolve(storage, { Ref: 'Stage' });

      // Assess
      expect(value).toBe('dev');
    });

    it('throws a TemplateError naming the reference when the resource is unknown', () => {
      // Prepare
      const r = resolver();

      // Act
      const act = () => r.resolve(storage, { Ref: 'Missing' });

      // Assess
      expect(act).toThrow(TemplateError);
      expect(act).toThrow('Ref to unknown resource Missing in Storage');
    });

    it('does not see the resources of another stack', () => {
      // Prepare
      const r = resolver();

      // Act
      const act = () => r.resolve(service, { Ref: 'OrdersTable' });

      // Assess
      expect(act).toThrow('Ref to unknown resource OrdersTable in Service');
    });
  });

  describe('Fn::GetAtt', () => {
    it('resolves an attribute given as a list or as a dotted string', () => {
      // Prepare
      const r = resolver();

      // Act
      const values = r.resolve(storage, [
        { 'Fn::GetAtt': ['OrdersTable', 'Arn'] },
        { 'Fn::GetAtt': 'OrdersTable.StreamArn' },
      ]);

      // Assess
      expect(values).toEqual([
        'arn:aws:dynamodb:us-east-1:000000000000:table/orders',
        'arn:aws:dynamodb:us-east-1:000000000000:table/orders/stream/local',
      ]);
    });

    it('throws a TemplateError when the resource is unknown', () => {
      // Prepare
      const r = resolver();

      // Act
      const act = () => r.resolve(storage, { 'Fn::GetAtt': ['Missing', 'Arn'] });

      // Assess
      expect(act).toThrow(TemplateError);
      expect(act).toThrow('Fn::GetAtt to unknown resource ["Missing","Arn"] in Storage');
    });

    it('throws a TemplateError when the identity has no such attribute', () => {
      // Prepare
      const bare = (_stack: StackTemplate, logicalId: string): LocalIdentity => ({
        ref: logicalId,
        attributes: {},
      });
      const r = new Resolver([storage], bare);

      // Act
      const act = () => r.resolve(storage, { 'Fn::GetAtt': ['OrdersTable', 'StreamArn'] });

      // Assess
      expect(act).toThrow('Attribute StreamArn of OrdersTable (AWS::DynamoDB::Table) is not emulated');
    });
  });

  describe('Fn::Join', () => {
    it('joins resolved parts with the separator', () => {
      // Prepare
      const r = resolver();

      // Act
      const value = r.resolve(storage, {
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':dynamodb:::', { Ref: 'OrdersTable' }]],
      });

      // Assess
      expect(value).toBe('arn:aws:dynamodb:::orders');
    });
  });

  describe('Fn::Sub', () => {
    it('substitutes pseudo parameters, Refs and dotted attributes in the string form', () => {
      // Prepare
      const r = resolver();

      // Act
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub's own placeholder syntax
      const value = r.resolve(storage, { 'Fn::Sub': '${AWS::Region}/${OrdersTable}/${OrdersTable.Arn}' });

      // Assess
      expect(value).toBe('us-east-1/orders/arn:aws:dynamodb:us-east-1:000000000000:table/orders');
    });

    it('substitutes the given variables first in the list form, and template names for the rest', () => {
      // Prepare
      const r = resolver();

      // Act
      const value = r.resolve(storage, {
        'Fn::Sub': [
          // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub's own placeholder syntax
          '${Name}-${Stage}-${OrdersTable}',
          { Name: { 'Fn::Join': ['.', ['a', 'b']] }, OrdersTable: 'overridden' },
        ],
      });

      // Assess
      expect(value).toBe('a.b-dev-overridden');
    });
  });

  describe('Fn::Select and Fn::Split', () => {
    it('selects an item by index, the index given as a number or a string', () => {
      // Prepare
      const r = resolver();

      // Act
      const values = r.resolve(storage, [
        { 'Fn::Select': [1, ['a', 'b', 'c']] },
        { 'Fn::Select': ['2', ['a', 'b', 'c']] },
        { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] },
      ]);

      // Assess
      expect(values).toEqual(['b', 'c', 'us-east-1a']);
    });

    it('splits a resolved string, and selects from the parts as CDK does for ARN components', () => {
      // Prepare
      const r = resolver();

      // Act
      const parts = r.resolve(storage, {
        'Fn::Split': ['/', { 'Fn::GetAtt': ['OrdersTable', 'StreamArn'] }],
      });
      const name = r.resolve(storage, {
        'Fn::Select': [1, { 'Fn::Split': ['/', { 'Fn::GetAtt': ['OrdersTable', 'Arn'] }] }],
      });

      // Assess
      expect(parts).toEqual(['arn:aws:dynamodb:us-east-1:000000000000:table', 'orders', 'stream', 'local']);
      expect(name).toBe('orders');
    });
  });

  describe('Fn::ImportValue', () => {
    it('resolves an export of another stack in the context of the exporting stack', () => {
      // Prepare
      const r = resolver();

      // Act
      const values = r.resolve(service, [
        { 'Fn::ImportValue': 'Storage:OrdersTableName' },
        { 'Fn::ImportValue': { 'Fn::Join': [':', ['Storage', 'OrdersTableArn']] } },
      ]);

      // Assess
      expect(values).toEqual(['orders', 'arn:aws:dynamodb:us-east-1:000000000000:table/orders']);
    });

    it('throws a TemplateError naming an unknown export', () => {
      // Prepare
      const r = resolver();

      // Act
      const act = () => r.resolve(service, { 'Fn::ImportValue': 'Storage:Nothing' });

      // Assess
      expect(act).toThrow(TemplateError);
      expect(act).toThrow('Fn::ImportValue of unknown export Storage:Nothing');
    });
  });

  describe('other values', () => {
    it('resolves intrinsics nested in objects and lists, and leaves plain values alone', () => {
      // Prepare
      const r = resolver();

      // Act
      const value = r.resolve(service, {
        FunctionName: { Ref: 'Worker' },
        Environment: { Variables: { TABLE: { 'Fn::ImportValue': 'Storage:OrdersTableName' }, SIZE: 3 } },
        Tags: [{ Key: 'stack', Value: { Ref: 'AWS::StackName' } }],
        Enabled: true,
        Nothing: null,
      });

      // Assess
      expect(value).toEqual({
        FunctionName: 'worker',
        Environment: { Variables: { TABLE: 'orders', SIZE: 3 } },
        Tags: [{ Key: 'stack', Value: 'Service' }],
        Enabled: true,
        Nothing: null,
      });
    });

    it('encodes Fn::Base64 of a resolved string', () => {
      // Prepare
      const r = resolver();

      // Act
      const value = r.resolve(storage, { 'Fn::Base64': { Ref: 'OrdersTable' } });

      // Assess
      expect(value).toBe(Buffer.from('orders').toString('base64'));
    });

    it('throws a TemplateError naming an intrinsic it does not support', () => {
      // Prepare
      const r = resolver();

      // Act
      const act = () => r.resolve(storage, { 'Fn::FindInMap': ['Map', 'Key', 'Value'] });

      // Assess
      expect(act).toThrow(TemplateError);
      expect(act).toThrow('Intrinsic Fn::FindInMap is not supported by the local runtime');
    });

    it('throws a TemplateError when resolveString gets something other than a scalar', () => {
      // Prepare
      const r = resolver();

      // Act
      const act = () => r.resolveString(storage, { 'Fn::Split': [',', 'a,b'] });

      // Assess
      expect(act).toThrow('Expected a string, got ["a","b"]');
    });
  });
});
