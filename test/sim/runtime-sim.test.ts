/**
 * The simulator's runtime mode: real FlotillaNode hosts over simulated disks, network and
 * clocks. A few seeds pass every check; a seed prints the same report twice; and hosts that are
 * broken on purpose are caught, so the checkers are known to be able to fail.
 */
import { describe, expect, it } from "vitest";
import type { GroupWrite, NodeStorage } from "@flotilla/storage-lmdb";
import {
  formatRuntimeReport,
  parseRuntimeCliArgs,
  runRuntimeSeed,
  runRuntimeSeeds,
  runtimeReplayCommand,
  type SimNodeStorage,
} from "../../packages/sim/src/runtime/index.js";

// Simulator seeds are CPU-bound: on a loaded 2-core machine a few of them take minutes. The
// bound only stops a hang; it measures nothing (vitest.config.ts's default is 60 s).
const SIM_TEST_TIMEOUT_MS = 900_000;

/**
 * A disk driver that acknowledges a write as soon as it is issued, before the sync: the host
 * then sends votes and append acknowledgements that a crash can take back. It commits the write
 * first (readable, as a real disk's acknowledged write is), so what breaks is durability alone.
 */
function acknowledgeBeforeSync(storage: SimNodeStorage): NodeStorage {
  return {
    durability: storage.durability,
    groupIds: () => storage.groupIds(),
    group: (groupId) => storage.group(groupId),
    createGroups: (groups) => storage.createGroups(groups),
    removeGroups: (groupIds) => storage.removeGroups(groupIds),
    write: (batch: readonly GroupWrite[]) => {
      void storage.write(batch).catch(() => undefined);
      storage.commit();
      return Promise.resolve();
    },
    createSnapshot: (groupId, index, membership, data) =>
      storage.createSnapshot(groupId, index, membership, data),
    metadata: (key) => storage.metadata(key),
    setMetadata: (key, value) => storage.setMetadata(key, value),
    close: () => storage.close(),
  };
}

/**
 * A subtler driver: it waits for the sync only when a write raises a group's term, and
 * acknowledges the rest at once — votes cast within a term and appended entries included.
 */
function acknowledgeEarlyUnlessTermChanges(storage: SimNodeStorage): NodeStorage {
  return {
    ...acknowledgeBeforeSync(storage),
    write: (batch: readonly GroupWrite[]) => {
      const raisesTerm = batch.some(
        (write) =>
          write.hardState !== undefined &&
          write.hardState.term !==
            storage.durableGroup(write.groupId)?.initialState().hardState.term,
      );
      const synced = storage.write(batch);
      if (raisesTerm) return synced;
      void synced.catch(() => undefined);
      storage.commit();
      return Promise.resolve();
    },
  };
}

describe("simulator, runtime mode", { timeout: SIM_TEST_TIMEOUT_MS }, () => {
  it("runs a few seeds against real hosts without a violation", async () => {
    for (const seed of [1, 2, 3]) {
      const outcome = await runRuntimeSeed(seed);
      expect(outcome.violation, `seed ${seed}`).toBeUndefined();
      expect(outcome.report?.operations ?? 0).toBeGreaterThan(0);
    }
  });

  it("replays a seed byte for byte: the same seed prints the same report twice", async () => {
    const first = await runRuntimeSeed(4);
    const second = await runRuntimeSeed(4);
    expect(first.report).toBeDefined();
    expect(formatRuntimeReport(second.report!)).toBe(formatRuntimeReport(first.report!));
    expect(second.coverage).toEqual(first.coverage);

    const lines = async (): Promise<string[]> => {
      const out: string[] = [];
      await runRuntimeSeeds({ seeds: 2, start: 5, pins: {}, verbose: true }, (line) =>
        out.push(line),
      );
      return out;
    };
    expect(await lines()).toEqual(await lines());
  });

  it("exercises every kind of fault and outcome it counts (each coverage counter > 0)", async () => {
    const lines: string[] = [];
    await runRuntimeSeeds({ seeds: 8, start: 0, pins: {}, verbose: false }, (line) =>
      lines.push(line),
    );
    const coverage = lines.find((line) => line.startsWith("coverage: "));
    expect(coverage).toBeDefined();
    expect(coverage).not.toMatch(/=0( |$)/);
    expect(lines.at(-1)).toBe("sim: 8 seeds, 0 violations, 0 incomplete");
  });

  it("parses --runtime command lines and prints a replay command that pins the same world", () => {
    const options = parseRuntimeCliArgs([
      "--runtime",
      "--seeds",
      "3",
      "--start",
      "5",
      "--crash-odds",
      "0.01",
    ]);
    expect(options).toEqual({ seeds: 3, start: 5, pins: { crashOdds: 0.01 }, verbose: false });
    expect(runtimeReplayCommand(7, options.pins)).toBe(
      "npm run sim -- --runtime --seeds 1 --start 7 --crash-odds 0.01",
    );
    expect(() => parseRuntimeCliArgs(["--runtime", "--seeds", "1", "--no-such-flag", "1"])).toThrow(
      /unknown flag/,
    );
  });

  it("catches a host whose storage acknowledges writes before they are synced (persist before send)", async () => {
    const outcome = await runRuntimeSeed(
      1,
      { syncOdds: 0.3 },
      { wrapStorage: acknowledgeBeforeSync },
    );
    expect(outcome.violation).toMatch(/persist before send/);
  });

  it("catches a host that syncs term changes but acknowledges votes and appends early", async () => {
    const outcome = await runRuntimeSeed(
      1,
      { syncOdds: 0.3 },
      { wrapStorage: acknowledgeEarlyUnlessTermChanges },
    );
    expect(outcome.violation).toMatch(/persist before send: .* acknowledged index/);
  });
});
