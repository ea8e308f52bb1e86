import { configDefaults, defineConfig } from "vitest/config";

// Tests import workspace packages from source through the "@flotilla/source" export condition,
// so no build step is needed before `vitest run`.
//
// Integration tests (test/integration/) start real processes (nats-server, child nodes), so the
// main run excludes them and scripts/test.sh runs them one file per vitest invocation with
// FLOTILLA_TEST_INTEGRATION=1, which switches this config to that folder alone.
const integrationTests = ["test/integration/**/*.test.ts"];
const integration = process.env["FLOTILLA_TEST_INTEGRATION"] === "1";

export default defineConfig({
  resolve: { conditions: ["@flotilla/source"] },
  ssr: { resolve: { conditions: ["@flotilla/source"] } },
  test: {
    include: integration
      ? integrationTests
      : ["packages/*/test/**/*.test.ts", "test/**/*.test.ts", "examples/**/*.test.ts"],
    exclude: integration
      ? configDefaults.exclude
      : [...configDefaults.exclude, ...integrationTests],
    pool: "forks",
    testTimeout: 60_000,
    // Golden files are reviewed and committed: a missing one fails instead of being written.
    update: false,
  },
});
