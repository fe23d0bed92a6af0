import { readFileSync } from 'node:fs';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { buildApp, type OrderSagaStacks } from '#lib/app';
import { loadConfig } from '#lib/config';

const CDK_JSON = new URL('../../cdk.json', import.meta.url);

/** The context `cdk synth` uses (feature flags and defaults from cdk.json). */
export function cdkJsonContext(): Record<string, unknown> {
  const parsed = JSON.parse(readFileSync(CDK_JSON, 'utf8')) as { context?: Record<string, unknown> };
  return parsed.context ?? {};
}

export interface TestApp {
  readonly app: App;
  readonly stacks: OrderSagaStacks;
  template(stack: Stack): Template;
}

/**
 * Builds the app exactly as `bin/app.ts` under `cdk synth` does, with cdk.json's context plus `context`. Bundling
 * (esbuild, seconds per function) runs only when asked for; otherwise assets are placeholders and
 * the templates are otherwise identical.
 */
export function buildTestApp(
  context: Record<string, unknown> = {},
  options: { bundle?: boolean } = {},
): TestApp {
  const app = new App({
    context: {
      // Set by the CDK CLI: functions carry `aws:asset:path` metadata, as in cdk.out.
      'aws:cdk:enable-asset-metadata': true,
      ...cdkJsonContext(),
      ...context,
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
  const stacks = buildApp(app, loadConfig(app));
  const templates = new Map<Stack, Template>();
  return {
    app,
    stacks,
    template(stack) {
      let template = templates.get(stack);
      if (!template) {
        template = Template.fromStack(stack);
        templates.set(stack, template);
      }
      return template;
    },
  };
}

/** Logical id of a construct's CloudFormation resource (its default child). */
export function logicalIdOf(construct: IConstruct): string {
  const resource = CfnElement.isCfnElement(construct) ? construct : construct.node.defaultChild;
  if (!resource || !CfnElement.isCfnElement(resource)) {
    throw new Error(`${construct.node.path} has no CloudFormation resource`);
  }
  return Stack.of(construct).getLogicalId(resource);
}

export interface CfnResourceJson {
  Type: string;
  Properties: Record<string, unknown>;
  DependsOn?: string[];
  Metadata?: Record<string, unknown>;
}

/** The synthesized resource of `construct` in `template`. */
export function resourceOf(template: Template, construct: IConstruct): CfnResourceJson {
  const resources = template.toJSON().Resources as Record<string, CfnResourceJson>;
  const resource = resources[logicalIdOf(construct)];
  if (!resource) throw new Error(`${construct.node.path} is not in the template`);
  return resource;
}

export interface PolicyStatementJson {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Sid?: string;
}

/** Statements of the identity policies attached to a function's execution role. */
export function roleStatements(template: Template, fn: lambda.Function): PolicyStatementJson[] {
  const role = fn.role;
  if (!role) throw new Error(`${fn.node.path} has no role`);
  const roleId = logicalIdOf(role);
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: Match.arrayWith([{ Ref: roleId }]) },
  });
  return Object.values(policies).flatMap(
    (policy) =>
      (policy as { Properties: { PolicyDocument: { Statement: PolicyStatementJson[] } } }).Properties
        .PolicyDocument.Statement,
  );
}

export const actionsOf = (statement: PolicyStatementJson): string[] => [statement.Action].flat();
