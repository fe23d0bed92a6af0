// Writes the API's OpenAPI document (functions/openapi.ts) to docs/openapi.json: `npm run docs`
// rewrites it; a unit test fails when the committed file is not what the code generates.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openApiDocument } from '#functions/openapi';

export const OPENAPI_DOC = fileURLToPath(new URL('../docs/openapi.json', import.meta.url));

/** The document as JSON (`npm run docs` then formats the file with Biome). */
export const renderOpenApi = (): string => `${JSON.stringify(openApiDocument(), null, 2)}\n`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(OPENAPI_DOC, renderOpenApi());
  console.log(`Wrote the OpenAPI document to ${OPENAPI_DOC}`);
}
