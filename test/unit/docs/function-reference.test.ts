import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FUNCTION_CONTRACTS } from '#functions/contracts';
import { envNamesOf } from '#platform/contract';
import {
  ARCHITECTURE_DOC,
  ReferenceMarkersError,
  renderFunctionReference,
  withReference,
} from '#scripts/function-reference';

/** Markdown as the formatter leaves it may pad table cells; compare the content only. */
const normalize = (text: string) =>
  text
    .split('\n')
    .map((line) =>
      line
        .trim()
        .replace(/\s*\|\s*/g, '|')
        .replace(/-{3,}/g, '---'),
    )
    .filter((line) => line !== '')
    .join('\n');

describe('Script: function-reference', () => {
  it('keeps docs/architecture.md in step with the function contracts (run `npm run docs`)', () => {
    // Prepare
    const doc = readFileSync(ARCHITECTURE_DOC, 'utf8');

    // Act
    const regenerated = withReference(doc, renderFunctionReference());

    // Assess
    expect(normalize(doc)).toBe(normalize(regenerated));
  });

  it('names every environment variable of every contract', () => {
    // Prepare
    const names = FUNCTION_CONTRACTS.flatMap((contract) => envNamesOf(contract));

    // Act
    const reference = renderFunctionReference();

    // Assess
    expect(names.length).toBeGreaterThan(40);
    for (const name of names) expect(reference).toContain(`\`${name}\``);
  });

  it('marks settings without a default as required and shows the others with their default', () => {
    // Act
    const reference = renderFunctionReference();

    // Assess
    expect(reference).toContain('`PAYMENT_WORKFLOW_ARN` (required)');
    expect(reference).toContain('`PSP_TIMEOUT_MS` (default `2000`)');
    expect(reference).toContain('`KAFKA_IDEMPOTENT_PRODUCER` (default `false`)');
  });

  it('refuses a document without the section markers', () => {
    // Act
    const act = () => withReference('# A document without markers\n', renderFunctionReference());

    // Assess
    expect(act).toThrow(ReferenceMarkersError);
  });
});
