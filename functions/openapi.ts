import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { ADMIN_ROUTES } from './admin/openapi';
import { ANALYTICS_ROUTES } from './analytics/openapi';
import { CATALOG_ROUTES } from './catalog/openapi';
import { CUSTOMER_ROUTES } from './customers/openapi';
import { INVENTORY_ROUTES } from './inventory/openapi';
import { CART_ROUTES, ORDER_ROUTES } from './orders/openapi';
import { ADMIN_GROUP } from './platform/auth';
import { ID_TOKEN_SCHEME } from './platform/openapi';
import { CARRIER_ROUTES } from './shipping/openapi';

/**
 * The OpenAPI 3.1 document of the order API (the REST API of the orders stack): every route of every
 * service (`functions/<service>/openapi.ts`), generated from the zod schemas the handlers validate
 * requests with and the schemas of the views they answer with. `GET /openapi.json` serves it;
 * `npm run docs` writes it to `docs/openapi.json`.
 */
export function openApiDocument() {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', ID_TOKEN_SCHEME, {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: `An ID token of the stage's Cognito user pool (InitiateAuth), in \`Authorization\`, with or without the \`Bearer\` prefix; access tokens are refused. Deployed with \`-c authIssuer\`, a JWT of that OpenID Connect issuer instead. Routes that name the \`${ADMIN_GROUP}\` role need a member of that group (\`cognito:groups\`, or \`groups\` of an issuer's token).`,
  });
  for (const route of [
    ...ORDER_ROUTES,
    ...CART_ROUTES,
    ...CUSTOMER_ROUTES,
    ...CATALOG_ROUTES,
    ...INVENTORY_ROUTES,
    ...ADMIN_ROUTES,
    ...ANALYTICS_ROUTES,
  ]) {
    registry.registerPath(route);
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Order saga API',
      version: '1.0.0',
      description:
        'Orders of signed-in customers, the public product catalog and the back office. Every error answer is `{ "error": { "code", "message", "details", "requestId" } }` with no internal detail; a refused request writes nothing. Money is `{ "amountMinor": <integer>, "currency": "EUR" }`.',
    },
    servers: [
      {
        url: 'https://{apiId}.execute-api.{region}.amazonaws.com/v1',
        description: 'a deployed stage',
        variables: { apiId: { default: 'api-id' }, region: { default: 'eu-west-1' } },
      },
      { url: 'http://127.0.0.1:3000', description: 'the local runtime (`npm start`)' },
    ],
    tags: [
      { name: 'orders', description: "The signed-in customer's orders" },
      { name: 'cart', description: "The signed-in customer's cart and its checkout" },
      { name: 'customers', description: "The signed-in customer's profile" },
      { name: 'catalog', description: 'The product catalog (public)' },
      { name: 'back office', description: 'Dead letters, metrics, customers and stock (admins group)' },
      { name: 'operations', description: 'Health and this document (public)' },
    ],
  });
}

/**
 * The OpenAPI 3.1 document of the carrier API (the REST API of the shipping stack): the signed status
 * reports of carriers. `npm run docs` writes it to `docs/carrier-openapi.json`.
 */
export function carrierApiDocument() {
  const registry = new OpenAPIRegistry();
  for (const route of CARRIER_ROUTES) registry.registerPath(route);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Order saga carrier API',
      version: '1.0.0',
      description:
        'Where carriers report the parcels of confirmed orders. No sign-in: every report is signed with the carrier webhook secret. Every error answer is `{ "error": { "code", "message", "details", "requestId" } }` with no internal detail; a refused report writes nothing.',
    },
    servers: [
      {
        url: 'https://{apiId}.execute-api.{region}.amazonaws.com/v1',
        description: 'a deployed stage (the `ApiUrl` output of `OrderSaga-<stage>-Shipping`)',
        variables: { apiId: { default: 'api-id' }, region: { default: 'eu-west-1' } },
      },
      { url: 'http://127.0.0.1:3001', description: 'the local runtime (`npm start` prints its port)' },
    ],
    tags: [{ name: 'carrier', description: "Carriers' status reports (signed)" }],
  });
}
