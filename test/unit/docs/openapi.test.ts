import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '#functions/openapi';
import { OPENAPI_DOC, renderOpenApi } from '#scripts/openapi';

describe('Script: openapi', () => {
  it('keeps docs/openapi.json in step with the generated document (run `npm run docs`)', () => {
    // Prepare
    const committed = JSON.parse(readFileSync(OPENAPI_DOC, 'utf8')) as unknown;

    // Act
    const generated = JSON.parse(renderOpenApi()) as unknown;

    // Assess
    expect(committed).toEqual(generated);
  });

  it('renders the document as JSON that parses back to it', () => {
    // Act
    const rendered = renderOpenApi();

    // Assess
    expect(JSON.parse(rendered)).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
    expect(rendered.endsWith('}\n')).toBe(true);
  });
});
