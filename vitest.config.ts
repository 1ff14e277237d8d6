import { defineConfig } from 'vitest/config';

// Four projects, one per kind of test. `npm test` runs them all; each can run alone
// with `npm run test:<project>`. Integration and e2e tests start their own local cloud
// on free ports, so they never touch a running `npm start`.
export default defineConfig({
  test: {
    env: {
      // The tests run on Node 20 on purpose (the documented minimum); the SDK's notice about
      // its future Node 22 requirement would repeat in every test file.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 20_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // DynamoDB Local is a JVM per test file: two at a time fit a 2-core machine.
          maxWorkers: 2,
          sequence: { groupOrder: 2 },
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          maxWorkers: 1,
          sequence: { groupOrder: 3 },
        },
      },
      {
        extends: true,
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          testTimeout: 60_000,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
