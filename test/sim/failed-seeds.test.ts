/**
 * Replays every seed in failed-seeds.json, the list of seeds that ever failed: each must now run
 * to the end with no violation and a complete history check. A seed replays exactly only while
 * its simulator draws its random numbers in the same order; when that changes, re-find the seed
 * (its violation's description says what to look for) rather than drop it.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runSeed, type WorldPins } from "@flotilla/sim";
import { runRuntimeSeed, type RuntimeWorldPins } from "../../packages/sim/src/runtime/index.js";

// Simulator seeds are CPU-bound: on a loaded 2-core machine a few of them take minutes. The
// bound only stops a hang; it measures nothing (vitest.config.ts's default is 60 s).
const SIM_TEST_TIMEOUT_MS = 900_000;

/** One seed that failed once. */
interface FailedSeed<Pins> {
  readonly seed: number;
  /** World parameters it ran with, as `--<parameter> value` gives them. */
  readonly options?: Pins;
  /** When and in which run it was found. */
  readonly found: string;
  /** The first line of its violation. */
  readonly what: string;
}

interface FailedSeeds {
  readonly core: readonly FailedSeed<WorldPins>[];
  readonly runtime: readonly FailedSeed<RuntimeWorldPins>[];
}

const failed = JSON.parse(
  readFileSync(new URL("./failed-seeds.json", import.meta.url), "utf8"),
) as FailedSeeds;

describe("seeds that once failed (failed-seeds.json)", { timeout: SIM_TEST_TIMEOUT_MS }, () => {
  it("lists at least one seed of each simulator", () => {
    expect(failed.core.length).toBeGreaterThan(0);
    expect(failed.runtime.length).toBeGreaterThan(0);
  });

  for (const { seed, options, what } of failed.core) {
    it(`core seed ${seed} (once: ${what})`, () => {
      const outcome = runSeed(seed, options ?? {});
      expect(outcome.violation).toBeUndefined();
      expect(outcome.report?.historyCheckExhausted).toBeUndefined();
    });
  }

  for (const { seed, options, what } of failed.runtime) {
    it(`runtime seed ${seed} (once: ${what})`, async () => {
      const outcome = await runRuntimeSeed(seed, options ?? {});
      expect(outcome.violation).toBeUndefined();
      expect(outcome.report?.historyCheckExhausted).toBeUndefined();
    });
  }
});
