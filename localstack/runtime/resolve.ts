import type { StackTemplate } from './template';
import { TemplateError } from './template';

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';

/** How a resource is known locally: its name/id (Ref) and attributes (Fn::GetAtt). */
export interface LocalIdentity {
  ref: string;
  attributes: Record<string, string>;
}

/**
 * Resolves CloudFormation intrinsics in synthesized templates to local values: Ref, Fn::GetAtt,
 * Fn::Join, Fn::Sub, Fn::Select, Fn::Split, Fn::ImportValue (exports across stacks), Fn::GetAZs and
 * the pseudo parameters.
 */
export class Resolver {
  private readonly exports = new Map<string, { stack: StackTemplate; value: unknown }>();

  constructor(
    private readonly stacks: readonly StackTemplate[],
    private readonly identity: (stack: StackTemplate, logicalId: string) => LocalIdentity,
  ) {
    for (const stack of stacks) {
      for (const output of Object.values(stack.outputs)) {
        if (output.Export) {
          const name = this.resolve(stack, output.Export.Name);
          this.exports.set(String(name), { stack, value: output.Value });
        }
      }
    }
  }

  stackOf(name: string): StackTemplate | undefined {
    return this.stacks.find((stack) => stack.stackName === name);
  }

  resolve(stack: StackTemplate, value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolve(stack, item));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    const [first] = entries;
    if (entries.length === 1 && first && (first[0] === 'Ref' || first[0].startsWith('Fn::'))) {
      return this.intrinsic(stack, first[0], first[1]);
    }
    return Object.fromEntries(entries.map(([key, item]) => [key, this.resolve(stack, item)]));
  }

  resolveString(stack: StackTemplate, value: unknown): string {
    const resolved = this.resolve(stack, value);
    if (typeof resolved === 'string') return resolved;
    if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved);
    throw new TemplateError(`Expected a string, got ${JSON.stringify(resolved)}`);
  }

  private pseudo(stack: StackTemplate, name: string): string | undefined {
    switch (name) {
      case 'AWS::Region':
        return LOCAL_REGION;
      case 'AWS::AccountId':
        return LOCAL_ACCOUNT;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return stack.stackName;
      case 'AWS::StackId':
        return `arn:aws:cloudformation:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stack/${stack.stackName}/local`;
      case 'AWS::NoValue':
        return undefined;
      default:
        return undefined;
    }
  }

  private intrinsic(stack: StackTemplate, fn: string, arg: unknown): unknown {
    switch (fn) {
      case 'Ref': {
        const name = String(arg);
        if (name.startsWith('AWS::')) return this.pseudo(stack, name);
        if (stack.parameters[name]) return this.resolve(stack, stack.parameters[name].Default ?? '');
        if (!stack.resources[name])
          throw new TemplateError(`Ref to unknown resource ${name} in ${stack.stackName}`);
        return this.identity(stack, name).ref;
      }
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(arg) ? arg.map(String) : String(arg).split('.');
        if (!logicalId || !attribute || !stack.resources[logicalId]) {
          throw new TemplateError(
            `Fn::GetAtt to unknown resource ${JSON.stringify(arg)} in ${stack.stackName}`,
          );
        }
        const value = this.identity(stack, logicalId).attributes[attribute];
        if (value === undefined) {
          throw new TemplateError(
            `Attribute ${attribute} of ${logicalId} (${stack.resources[logicalId]?.Type}) is not emulated`,
          );
        }
        return value;
      }
      case 'Fn::Join': {
        const [separator, parts] = arg as [string, unknown[]];
        const resolved = this.resolve(stack, parts) as unknown[];
        return resolved.map((part) => String(part)).join(separator);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        const items = this.resolve(stack, list) as unknown[];
        return items[Number(this.resolve(stack, index))];
      }
      case 'Fn::Split': {
        const [separator, source] = arg as [string, unknown];
        return this.resolveString(stack, source).split(separator);
      }
      case 'Fn::GetAZs':
        return [`${LOCAL_REGION}a`, `${LOCAL_REGION}b`, `${LOCAL_REGION}c`];
      case 'Fn::ImportValue': {
        const name = this.resolveString(stack, arg);
        const exported = this.exports.get(name);
        if (!exported) throw new TemplateError(`Fn::ImportValue of unknown export ${name}`);
        return this.resolve(exported.stack, exported.value);
      }
      case 'Fn::Sub': {
        const [text, variables] = (Array.isArray(arg) ? arg : [arg, {}]) as [string, Record<string, unknown>];
        return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
          if (name in variables) return this.resolveString(stack, variables[name]);
          if (name.startsWith('AWS::')) return this.pseudo(stack, name) ?? '';
          if (name.includes('.')) return this.resolveString(stack, { 'Fn::GetAtt': name.split('.') });
          return this.resolveString(stack, { Ref: name });
        });
      }
      case 'Fn::Base64':
        return Buffer.from(this.resolveString(stack, arg)).toString('base64');
      default:
        throw new TemplateError(`Intrinsic ${fn} is not supported by the local runtime`);
    }
  }
}
