/**
 * Runtime-mode simulator seeds that found real runtime bugs, replayed by name. They replay
 * exactly only while the runtime world's draw order is unchanged (packages/sim/src/runtime/).
 */
import { describe, expect, it } from "vitest";
import { runRuntimeSeed } from "../../packages/sim/src/runtime/index.js";

// Simulator seeds are CPU-bound: on a loaded 2-core machine a few of them take minutes. The
// bound only stops a hang; it measures nothing (vitest.config.ts's default is 60 s).
const SIM_TEST_TIMEOUT_MS = 900_000;

describe("runtime simulator regressions", { timeout: SIM_TEST_TIMEOUT_MS }, () => {
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

  // A follower applied entries that arrived with their commit index while its own write of them
  // was in flight (ADR 0009), and a remote catch-up read (`node.readCommitted`) read its storage
  // up to the applied index: storage asserted "entries [16, 19) outside [1, 1)". Found by the
  // catch-up reader once the simulated disk made writes readable only at commit (seed 0 first,
  // see failed-seeds.json; 18 of seeds 0-19). Fixed in packages/runtime/src/committed-page.ts
  // (pages stop at `Raft.storedIndex()`).
  it.each([1, 6])(
    "seed %i: a catch-up page never reads past what the replica's storage holds",
    async (seed) => {
      const outcome = await runRuntimeSeed(seed);
      expect(outcome.violation).toBeUndefined();
      expect(outcome.coverage.catchUpPages).toBeGreaterThan(0);
    },
  );
});
