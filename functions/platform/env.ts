import * as z from 'zod';
import { type AnyContract, envNamesOf } from './contract';
import { ConfigurationError } from './errors';

/** The environment a contract declares, parsed: table names as text, settings as their types. */
export type EnvOf<C extends AnyContract> = { readonly [K in keyof C['tables']]: string } & z.output<
  C['settings']
>;

/**
 * Reads a function's environment as its contract declares it. Call it at module load, so a missing
 * or malformed setting fails the cold start with one message naming every problem, instead of failing
 * the first request. Blank values count as unset (their default applies, or they are missing).
 */
export function readEnv<C extends AnyContract>(contract: C, env: NodeJS.ProcessEnv = process.env): EnvOf<C> {
  const tables = Object.fromEntries(
    Object.keys(contract.tables).map((name) => [name, z.string().trim().min(1)]),
  );
  const schema = z.object({ ...tables, ...contract.settings.shape });
  const input = Object.fromEntries(
    envNamesOf(contract).map((name) => {
      const value = env[name];
      return [name, value === undefined || value.trim() === '' ? undefined : value];
    }),
  );
  const result = schema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = issue.path.map(String).join('.');
      return input[name] === undefined
        ? `${name} is missing`
        : `${name} is invalid (${issue.message}; got "${String(input[name])}")`;
    });
    throw new ConfigurationError(
      `Function ${contract.name}: environment is incomplete: ${problems.join('; ')}`,
      { cause: result.error },
    );
  }
  return result.data as EnvOf<C>;
}
