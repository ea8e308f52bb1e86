/**
 * Every simulator seed that ever found a real bug in the core, replayed by name. A seed replays
 * exactly as long as `packages/sim/src/world.ts` and the fault injector draw their random numbers
 * in the same order: change those only together with this file (re-find the seeds).
 */
import { describe, expect, it } from "vitest";
import { runSeed } from "@flotilla/sim";

// Simulator seeds are CPU-bound: on a loaded 2-core machine a few of them take minutes. The
// bound only stops a hang; it measures nothing (vitest.config.ts's default is 60 s).
const SIM_TEST_TIMEOUT_MS = 900_000;

/**
 * A leader that removes itself (3-node worlds, voter floor 2) commits `leave-joint`, applies it
 * and steps down at once, before the remaining voters hear that it committed. They stay in the
 * joint configuration, whose outgoing half needs the removed node's vote; it refuses (its log is
 * longer) and cannot campaign (no longer a voter): the group never elects a leader again.
 */
const SELF_REMOVAL_STRANDS_JOINT_CONFIG = [52, 140, 164, 179, 181, 186, 223, 224, 270];

describe("simulator regressions", { timeout: SIM_TEST_TIMEOUT_MS }, () => {
  for (const seed of SELF_REMOVAL_STRANDS_JOINT_CONFIG) {
    it(`seed ${seed}: a leader removing itself leaves a group that can still elect a leader`, () => {
      expect(runSeed(seed).violation).toBeUndefined();
    });
  }

  // With PreVote off, a stale node whose clock ran 40% fast lost every election it started, yet
  // each RequestVote bumped the up-to-date nodes' terms and restarted their election timers, so
  // none of them ever timed out: the liveness phase never elected a leader. Raft's Figure 2
  // restarts the timer only on granting a vote.
  it("seed 15 (PreVote off, 40% clock drift): a stale candidate that keeps losing cannot hold off elections", () => {
    expect(
      runSeed(15, { clockDriftPercent: 40, preVote: false, membershipOdds: 0 }).violation,
    ).toBeUndefined();
  });

  // A removed node applied leave-joint and so knew it committed, but the leader that committed
  // it was gone before the others heard. They stayed in the joint configuration, whose outgoing
  // half needed the removed node's vote; it refused (it held a longer, uncommitted log) and could
  // not campaign (not a voter). Vote answers now carry the voter's commit point, which a
  // candidate holding the same entry adopts (Log Matching), so it applies leave-joint and goes on.
  for (const seed of [837, 1582]) {
    it(`seed ${seed}: members left in a joint configuration learn it was left from a removed node`, () => {
      expect(runSeed(seed).violation).toBeUndefined();
    });
  }
});
