// Writes the APIs' OpenAPI documents (functions/openapi.ts) to docs/openapi.json (the order API) and
// docs/carrier-openapi.json (the carrier API): `npm run docs` rewrites them; a unit test fails when a
// committed file is not what the code generates.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { carrierApiDocument, openApiDocument } from '#functions/openapi';

export const OPENAPI_DOC = fileURLToPath(new URL('../docs/openapi.json', import.meta.url));
export const CARRIER_OPENAPI_DOC = fileURLToPath(new URL('../docs/carrier-openapi.json', import.meta.url));

/** The document as JSON (`npm run docs` then formats the file with Biome). */
export const renderOpenApi = (): string => `${JSON.stringify(openApiDocument(), null, 2)}\n`;
export const renderCarrierOpenApi = (): string => `${JSON.stringify(carrierApiDocument(), null, 2)}\n`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(OPENAPI_DOC, renderOpenApi());
  writeFileSync(CARRIER_OPENAPI_DOC, renderCarrierOpenApi());
  console.log(`Wrote the OpenAPI documents to ${OPENAPI_DOC} and ${CARRIER_OPENAPI_DOC}`);
}
