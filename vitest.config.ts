import { defineConfig } from 'vitest/config';

/**
 * Four projects (npm run test:unit | test:integration | test:infra | test:e2e).
 * Integration and e2e share test/support/global-setup.ts: ONE in-memory DynamoDB
 * Local for the whole run (its endpoint via inject('dynamoDbEndpoint')); each test
 * file makes its own table, so files run in parallel.
 */
const awsDummyEnv = {
  // The emulators want credentials, never real ones.
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_REGION: 'eu-west-3',
  POWERTOOLS_TRACE_ENABLED: 'false',
  // EMF metric lines are for CloudWatch; in tests they only drown the output.
  POWERTOOLS_METRICS_DISABLED: 'true',
};

/**
 * Code that lists things signs its cursors with CURSOR_SIGNING_KEY (shared/db/cursor.ts), read
 * when the module loads; the local stack sets the same variable for its handlers (local/lambda-env.ts).
 */
const cursorKeyEnv = { CURSOR_SIGNING_KEY: 'test-only-cursor-signing-key-0123456789abcdef' };

export default defineConfig({
  test: {
    // In CI, a JSON report too: .ci/run prints one plain "N passed, N failed" line from it.
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: '.ci-results.json' },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          env: { POWERTOOLS_METRICS_DISABLED: 'true', ...cursorKeyEnv },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/support/global-setup.ts'],
          env: { ...awsDummyEnv, ...cursorKeyEnv },
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'infra',
          // CDK assertions, and what esbuild bundles into each Lambda (bundles.test.ts, ~10 s: not a unit test).
          include: ['test/infra/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          // The files share memoized CDK syntheses (test/infra/synth.ts): seconds of CPU each.
          isolate: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/support/global-setup.ts'],
          env: { ...awsDummyEnv, ...cursorKeyEnv },
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
