import { describe, expect, it } from 'vitest';
import { FUNCTION_CONTRACTS } from '#functions/contracts';
import { METRICS_NAMESPACE } from '#lib/constructs/service-function';
import { BUSINESS_NAMESPACE, BUSINESS_PANELS } from '#localstack/runtime/ops/panels';

/** Every metric a function contract declares. */
const declared = new Set(FUNCTION_CONTRACTS.flatMap((contract) => Object.keys(contract.metrics)));

describe('Constant: BUSINESS_PANELS', () => {
  it('reads the namespace the CDK app gives the functions', () => {
    // Prepare
    const deployed = METRICS_NAMESPACE;

    // Act
    const read = BUSINESS_NAMESPACE;

    // Assess
    expect(read).toBe(deployed);
  });

  it('shows only metrics the function contracts declare', () => {
    // Prepare
    const panels = BUSINESS_PANELS;

    // Act
    const shown = panels.flatMap((panel) => [
      ...panel.series.map((series) => series.metric),
      ...(panel.perService ?? []).map((series) => series.metric),
    ]);

    // Assess
    expect(shown.length).toBeGreaterThan(20);
    expect(shown.filter((metric) => !declared.has(metric))).toEqual([]);
  });

  it('shows every business metric the function contracts declare', () => {
    // Prepare
    const shown = new Set(
      BUSINESS_PANELS.flatMap((panel) => [
        ...panel.series.map((series) => series.metric),
        ...(panel.perService ?? []).map((series) => series.metric),
      ]),
    );

    // Act
    const missing = [...declared].filter((metric) => !shown.has(metric));

    // Assess
    expect(missing).toEqual([]);
  });
});
