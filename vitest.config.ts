import { coverageConfigDefaults, defineConfig } from 'vitest/config';

/**
 * Four suites, run together by `npm test`:
 * - unit: pure code and handlers with the AWS SDK mocked;
 * - infra: CDK assertions and cdk-nag over the synthesized app;
 * - integration: code against DynamoDB Local and the librdkafka mock Kafka cluster;
 * - e2e: black-box HTTP against the local runtime started from cdk.out.
 */
export default defineConfig({
  test: {
    reporters: ['default', ['json', { outputFile: '.local/test-results.json' }]],
    // `npm test` runs with --coverage. Only code that runs in the test processes counts: the functions
    // the local runtime starts as child processes in the end-to-end tests are not attributed.
    coverage: {
      provider: 'v8',
      include: ['functions/**', 'events/**', 'lib/**'],
      exclude: [...coverageConfigDefaults.exclude, 'localstack/**', 'bench/**', 'scripts/**', 'test/**'],
      reporter: ['text-summary', 'json-summary', 'lcov'],
      reportsDirectory: 'coverage',
      reportOnFailure: true,
      thresholds: {
        // Everything included, a little below the measured coverage, so only a real drop fails.
        lines: 92,
        statements: 92,
        branches: 90,
        functions: 94,
        // The pure domain code and the event contract.
        'functions/*/domain/**': { lines: 90, statements: 90, branches: 90, functions: 90 },
        'events/**': { lines: 90, statements: 90, branches: 90, functions: 90 },
      },
    },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 240_000,
          hookTimeout: 300_000,
          // The end-to-end files each start a whole local stack: run them one after another.
          poolOptions: { forks: { singleFork: true } },
          globalSetup: ['test/e2e/global-setup.ts'],
        },
      },
    ],
  },
});
