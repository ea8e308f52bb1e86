import { describe, expect, it } from "vitest";
import { emptyCoverage, formatCoverage } from "../src/coverage.js";
import { runSeeds } from "../src/run-seeds.js";

// Simulator seeds are CPU-bound: on a loaded 2-core machine a few of them take minutes. The
// bound only stops a hang; it measures nothing (vitest.config.ts's default is 60 s).
const SIM_TEST_TIMEOUT_MS = 900_000;

describe("coverage", { timeout: SIM_TEST_TIMEOUT_MS }, () => {
  it("a fixed set of seeds exercises every fault and feature the report counts", () => {
    const lines: string[] = [];
    const summary = runSeeds({ seeds: 24, start: 0, pins: {}, verbose: false }, (line) =>
      lines.push(line),
    );
    expect(lines.at(-1)).toBe("sim: 24 seeds, 0 violations, 0 incomplete");
    for (const [name, count] of Object.entries(summary.coverage)) {
      expect(count, `coverage counter ${name}`).toBeGreaterThan(0);
    }
  });

  it("prints the counters in the documented order", () => {
    expect(formatCoverage(emptyCoverage())).toBe(
      "coverage: elections=0 leader-changes=0 crashes=0 partitions=0 snapshots-installed=0 membership-changes=0 transfers=0 reads=0 vote-timers-checked=0 snapshots-over-conflicts=0",
    );
  });
});
