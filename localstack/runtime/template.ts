import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A CloudFormation resource as it appears in a synthesized template. */
export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  DependsOn?: string | string[];
}

export interface StackTemplate {
  stackName: string;
  resources: Record<string, CfnResource>;
  outputs: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
  parameters: Record<string, { Default?: unknown }>;
}

export class TemplateError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TemplateError';
  }
}

interface Manifest {
  artifacts?: Record<string, { type: string; properties?: { templateFile?: string; stackName?: string } }>;
}

/** Reads every stack of a cloud assembly (`cdk.out`), in the order of its manifest. */
export function loadCloudAssembly(cdkOut: string): StackTemplate[] {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(join(cdkOut, 'manifest.json'), 'utf8')) as Manifest;
  } catch (cause) {
    throw new TemplateError(`No cloud assembly at ${cdkOut}; run "npx cdk synth" first`, { cause });
  }
  const stacks: StackTemplate[] = [];
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
    const template = JSON.parse(readFileSync(join(cdkOut, artifact.properties.templateFile), 'utf8')) as {
      Resources?: Record<string, CfnResource>;
      Outputs?: StackTemplate['outputs'];
      Parameters?: StackTemplate['parameters'];
    };
    stacks.push({
      stackName: artifact.properties.stackName ?? id,
      resources: template.Resources ?? {},
      outputs: template.Outputs ?? {},
      parameters: template.Parameters ?? {},
    });
  }
  if (stacks.length === 0) throw new TemplateError(`The cloud assembly at ${cdkOut} holds no stacks`);
  return stacks;
}

/** A resource with the stack it belongs to. */
export interface LocatedResource {
  stack: StackTemplate;
  logicalId: string;
  resource: CfnResource;
}

export function resourcesOfType(stacks: readonly StackTemplate[], type: string): LocatedResource[] {
  return stacks.flatMap((stack) =>
    Object.entries(stack.resources)
      .filter(([, resource]) => resource.Type === type)
      .map(([logicalId, resource]) => ({ stack, logicalId, resource })),
  );
}
