import { describe, expect, it } from 'vitest';
import { environmentsToProvision } from '#localstack/runtime/runtime';

const target = (arn: string) => ({ definition: { arn } });

describe('Function: environmentsToProvision', () => {
  it('provisions one environment per event source for a function a mapping and a schedule both invoke', () => {
    // Prepare
    const triggers = [target('consumer'), target('consumer'), target('relay')];

    // Act
    const counts = environmentsToProvision(['consumer', 'relay', 'api'], triggers, 1);

    // Assess
    expect(Object.fromEntries(counts)).toEqual({ consumer: 2, relay: 1, api: 1 });
  });

  it('multiplies the environments per source by the provisioned count', () => {
    // Prepare
    const triggers = [target('consumer'), target('consumer'), target('consumer')];

    // Act
    const counts = environmentsToProvision(['consumer', 'api'], triggers, 2);

    // Assess
    expect(Object.fromEntries(counts)).toEqual({ consumer: 6, api: 2 });
  });
});
