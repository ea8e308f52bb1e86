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

  // Commit-only hard states are written lazily (round.ts), so a replica restarted with a state
  // machine snapshot ahead of its stored commit index: the core asserted "applied past
  // committed". Fixed in packages/raft/src/raft-state.ts (the applied index is committed).
  it.each([0, 3, 4])(
    "seed %i: a restart with a snapshot ahead of the stored commit index",
    async (seed) => {
      const outcome = await runRuntimeSeed(seed);
      expect(outcome.violation).toBeUndefined();
    },
  );
});
