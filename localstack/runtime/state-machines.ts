import { localIdentity } from './identity';
import type { Resolver } from './resolve';
import type { StateMachineDefinition } from './step-functions';
import { resourcesOfType, type StackTemplate } from './template';

/**
 * The `AWS::StepFunctions::StateMachine` resources of the templates, by ARN, with their definition
 * resolved (DefinitionString, usually an Fn::Join with function ARNs, or an inline Definition).
 */
export function stateMachinesFromTemplate(
  stacks: readonly StackTemplate[],
  resolver: Resolver,
): Map<string, StateMachineDefinition> {
  const machines = new Map<string, StateMachineDefinition>();
  for (const { stack, logicalId, resource } of resourcesOfType(stacks, 'AWS::StepFunctions::StateMachine')) {
    const identity = localIdentity(stack, logicalId);
    const props = resource.Properties ?? {};
    const raw =
      props.DefinitionString !== undefined
        ? resolver.resolveString(stack, props.DefinitionString)
        : undefined;
    const definition = (
      raw === undefined ? resolver.resolve(stack, props.Definition) : JSON.parse(raw)
    ) as StateMachineDefinition['definition'];
    const arn = identity.attributes.Arn as string;
    machines.set(arn, { logicalId, arn, name: identity.attributes.Name as string, definition });
  }
  return machines;
}
