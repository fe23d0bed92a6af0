import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '#functions/openapi';
import { CARRIER_OPENAPI_DOC, OPENAPI_DOC, renderCarrierOpenApi, renderOpenApi } from '#scripts/openapi';

describe('Script: openapi', () => {
  it('keeps docs/openapi.json in step with the generated document (run `npm run docs`)', () => {
    // Prepare
    const committed = JSON.parse(readFileSync(OPENAPI_DOC, 'utf8')) as unknown;

    // Act
    const generated = JSON.parse(renderOpenApi()) as unknown;

    // Assess
    expect(committed).toEqual(generated);
  });

  it('keeps docs/carrier-openapi.json in step with the carrier API document, which has the webhook route', () => {
    // Prepare
    const committed = JSON.parse(readFileSync(CARRIER_OPENAPI_DOC, 'utf8')) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };

    // Act
    const generated = JSON.parse(renderCarrierOpenApi()) as unknown;

    // Assess
    expect(committed).toEqual(generated);
    expect(Object.keys(committed.paths['/carrier/webhooks']?.post?.responses ?? {})).toEqual(
      expect.arrayContaining(['200', '400', '401', '404', '413']),
    );
  });

  it('renders the document as JSON that parses back to it', () => {
    // Act
    const rendered = renderOpenApi();

    // Assess
    expect(JSON.parse(rendered)).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
    expect(rendered.endsWith('}\n')).toBe(true);
  });
});
