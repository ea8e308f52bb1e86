/**
 * Runtime-mode simulator seeds that found real runtime bugs, replayed by name. They replay
 * exactly only while the runtime world's draw order is unchanged (packages/sim/src/runtime/).
 */
import { describe, expect, it } from "vitest";
import { runRuntimeSeed } from "../../packages/sim/src/runtime/index.js";

describe("runtime simulator regressions", () => {
  // A deposed leader's proposal in its grace period and a later proposal of its own at the same
  // index (after leading again): the proposal book kept one per index and lost the first
  // future, which never settled. Fixed in packages/runtime/src/proposal-book.ts.
  it("seed 3237: every future settles when two proposals of different terms share an index", async () => {
    const outcome = await runRuntimeSeed(3237);
    expect(outcome.violation).toBeUndefined();
  });

  it.each([40031, 40041])(
    "seed %i (transfers, partitions, drops pinned): every future settles",
    async (seed) => {
      const outcome = await runRuntimeSeed(seed, {
        transferOdds: 0.05,
        partitionOdds: 0.02,
        dropOdds: 0.1,
      });
      expect(outcome.violation).toBeUndefined();
    },
  );
});
