import type { ErrorObject, ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020.js';
import { openApiDocument } from '#functions/openapi';
import { errorBodySchema } from '#platform/openapi';

/** One answer of the API, as a client saw it. */
export interface ApiExchange {
  readonly method: string;
  /** The path the client called, with the stage prefix (`/v1`) and the query string if any. */
  readonly path: string;
  readonly status: number;
  readonly contentType: string | null;
  /** The body as received. */
  readonly text: string;
}

/** An answer of the API does not match its OpenAPI document. */
export class OpenApiMismatchError extends Error {
  readonly problems: readonly string[];
  constructor(exchange: ApiExchange, problems: readonly string[], options?: { cause?: unknown }) {
    super(
      `${exchange.method} ${exchange.path} answered ${exchange.status}, which docs/openapi.json does not describe:\n  ${problems.join('\n  ')}\nbody: ${exchange.text.slice(0, 2000)}`,
      options,
    );
    this.name = 'OpenApiMismatchError';
    this.problems = problems;
  }
}

type Document = ReturnType<typeof openApiDocument>;
interface Operation {
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

const STAGE_PREFIX = /^\/v1(?=\/)/;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/** A path template of the document as a pattern of concrete paths. */
const templatePattern = (template: string) =>
  new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^/}]+\}/g, '[^/]+')}$`);

const formatErrors = (errors: readonly ErrorObject[] | null | undefined) =>
  (errors ?? []).map((error) => `body${error.instancePath} ${error.message ?? 'is invalid'}`);

/**
 * Checks answers of the API against its OpenAPI document: the route must exist (or the answer be
 * the 404 NOT_FOUND of an unknown route), the status must be one the route declares, and a JSON body
 * must match the schema of that status (JSON Schema 2020-12, with ajv). Every answer the end-to-end
 * tests receive from the order API goes through it (see `http` in `./local-runtime`).
 */
export class OpenApiContract {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  private readonly routes: { pattern: RegExp; template: string }[];
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(private readonly document: Document = openApiDocument()) {
    this.routes = Object.keys(document.paths ?? {}).map((template) => ({
      template,
      pattern: templatePattern(template),
    }));
  }

  /** What does not match in `exchange`; empty when it matches the document. */
  problemsOf(exchange: ApiExchange): string[] {
    const path = (exchange.path.split('?')[0] ?? '').replace(STAGE_PREFIX, '');
    const method = exchange.method.toLowerCase();
    const template = this.routes.find((route) => route.pattern.test(path))?.template;
    const pathItem = template ? (this.document.paths?.[template] as Record<string, Operation>) : undefined;
    const operation = METHODS.find((name) => name === method) ? pathItem?.[method] : undefined;
    if (!template || !operation)
      return this.unknownRouteProblems(exchange, `${method.toUpperCase()} ${path}`);

    const response = operation.responses?.[String(exchange.status)];
    if (!response) {
      return [
        `status ${exchange.status} is not an answer of ${method.toUpperCase()} ${template} (declared: ${Object.keys(operation.responses ?? {}).join(', ')})`,
      ];
    }
    const schema = response.content?.['application/json']?.schema;
    if (schema === undefined) {
      return exchange.text === '' ? [] : [`${exchange.status} of ${template} has no body, received one`];
    }
    if (!/^application\/json\b/i.test(exchange.contentType ?? '')) {
      return [`content-type is ${exchange.contentType ?? 'missing'}, the document says application/json`];
    }
    const body = parseJson(exchange.text);
    if (!body.ok) return [`the body is not JSON: ${body.reason}`];
    const key = `${method} ${template} ${exchange.status}`;
    const validate = this.validators.get(key) ?? this.compile(key, schema);
    return validate(body.value) ? [] : formatErrors(validate.errors);
  }

  /** Throws an OpenApiMismatchError naming what does not match. */
  assertMatches(exchange: ApiExchange): void {
    const problems = this.problemsOf(exchange);
    if (problems.length > 0) throw new OpenApiMismatchError(exchange, problems);
  }

  /** A route the document does not have: API Gateway answers 404 NOT_FOUND (no route matches). */
  private unknownRouteProblems(exchange: ApiExchange, route: string): string[] {
    if (exchange.status !== 404)
      return [`${route} is not in the document, yet it answered ${exchange.status}`];
    const body = parseJson(exchange.text);
    if (!body.ok) return [`the body is not JSON: ${body.reason}`];
    const parsed = errorBodySchema(['NOT_FOUND']).safeParse(body.value);
    return parsed.success
      ? []
      : parsed.error.issues.map((issue) => `body/${issue.path.join('/')} ${issue.message}`);
  }

  private compile(key: string, schema: unknown): ValidateFunction {
    // The schema with the document's components beside it, so its `#/components/...` refs resolve.
    const validate = this.ajv.compile({
      ...(schema as Record<string, unknown>),
      components: this.document.components,
    });
    this.validators.set(key, validate);
    return validate;
  }
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
