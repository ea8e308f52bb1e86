import { defineConfig } from "vitest/config";

// Tests import workspace packages from source through the "@flotilla/source" export condition,
// so no build step is needed before `vitest run`.
export default defineConfig({
  resolve: { conditions: ["@flotilla/source"] },
  ssr: { resolve: { conditions: ["@flotilla/source"] } },
  test: {
    include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 60_000,
    // Golden files are reviewed and committed: a missing one fails instead of being written.
    update: false,
  },
});
