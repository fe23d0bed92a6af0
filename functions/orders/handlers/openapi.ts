import { openApiDocument } from '#functions/openapi';
import { readEnv } from '#platform/env';
import { apiHandler, json } from '#platform/http';
import { OpenApiFn } from '../contract';

readEnv(OpenApiFn);

/** Built once per cold start: the document depends on the code alone. */
const document = openApiDocument();

/** GET /openapi.json: the API's OpenAPI 3.1 document (public, like the catalog). */
export const handler = apiHandler(async () =>
  json(200, document, { 'cache-control': 'public, max-age=300' }),
);
