import * as z from 'zod';
import { defineFunction, setting } from '#platform/contract';

/** Identity: sign-in with an existing OpenID Connect provider (context `authIssuer`). */

export const VerifyTokenFn = defineFunction({
  name: 'verify-token',
  service: 'identity',
  entry: 'identity/handlers/verify-token.ts',
  trigger: 'API Gateway TOKEN authorizer of the order API (header `Authorization`), with `-c authIssuer=...`',
  description: "Verifies an OpenID Connect issuer's JWTs (signature, issuer, audience, expiry) for the API",
  tables: {},
  settings: z.object({
    AUTH_ISSUER: setting.url().describe('the issuer (`iss`) tokens must carry (context `authIssuer`)'),
    AUTH_AUDIENCE: setting.text().describe('the audience (`aud`) tokens must carry (context `authAudience`)'),
    AUTH_JWKS_URI: setting
      .textOr('')
      .describe("the issuer's JWKS; empty: `<issuer>/.well-known/jwks.json` (context `authJwksUri`)"),
  }),
  metrics: {},
});
