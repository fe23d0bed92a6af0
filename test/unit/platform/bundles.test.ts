import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { ROOT } from '#test/helpers/local-runtime';

/** Every handler file of every service. */
function handlerFiles(): string[] {
  const functions = join(ROOT, 'functions');
  return readdirSync(functions, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((service) => {
      const dir = join(functions, service.name, 'handlers');
      try {
        return readdirSync(dir)
          .filter((file) => file.endsWith('.ts'))
          .map((file) => join(dir, file));
      } catch {
        return [];
      }
    });
}

describe('Bundles: what the functions carry', () => {
  it('leaves zod’s translated error messages out of every handler (only English is used)', async () => {
    // Prepare: bundled as the function construct bundles them (ESM, minified, the module field first).
    const entryPoints = handlerFiles();
    expect(entryPoints.length).toBeGreaterThan(30);

    // Act
    const result = await build({
      entryPoints,
      bundle: true,
      minify: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      mainFields: ['module', 'main'],
      outdir: join(ROOT, '.local', 'bundles-test'),
      write: false,
      metafile: true,
      logLevel: 'silent',
    });

    // Assess: a module importing `{ z }` (the namespace as a value) keeps every locale (≈ 260 KB);
    // `import * as z` lets the bundler keep only what is used.
    const locales = Object.entries(result.metafile.outputs).flatMap(([output, { inputs }]) =>
      Object.keys(inputs)
        .filter((input) => /zod\/v4\/locales\/(?!en\.js)/.test(input))
        .map((input) => `${output}: ${input}`),
    );
    expect(locales).toEqual([]);
    // Bundling 40 handlers takes seconds on a loaded machine.
  }, 120_000);
});
