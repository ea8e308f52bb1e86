/**
 * The in-memory tail of a group's log: it must return exactly what a plain log would, whatever
 * the sequence of appends, truncations and clears, or nothing at all.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { Entry } from "@flotilla/raft";
import { RECENT_ENTRIES_MAX, RecentEntries } from "../src/recent-entries.js";

function entry(index: number, term: number, size = 4): Entry {
  return { index, term, type: "normal", data: new Uint8Array(size).fill(index & 0xff) };
}

describe("RecentEntries", () => {
  it("answers every read exactly as the log it shadows, or not at all", () => {
    // Model: a plain array log. Operations: append a run at some index within [1, last+1]
    // (truncating the suffix, as Raft's append does), or clear (a snapshot installed).
    const op = fc.oneof(
      fc.record({
        kind: fc.constant("append" as const),
        at: fc.nat(),
        count: fc.integer({ min: 1, max: 40 }),
        term: fc.integer({ min: 1, max: 5 }),
      }),
      fc.record({ kind: fc.constant("clear" as const) }),
    );
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 60 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (ops, probes) => {
          const log: Entry[] = [];
          const recent = new RecentEntries();
          for (const step of ops) {
            if (step.kind === "clear") {
              recent.clear();
              continue;
            }
            const start = 1 + (step.at % (log.length + 1));
            const run = Array.from({ length: step.count }, (_, i) => entry(start + i, step.term));
            log.splice(start - 1, log.length, ...run);
            recent.appended(run);
          }
          for (const probe of probes) {
            const index = 1 + (probe % (log.length + 1));
            const held = recent.get(index);
            if (held !== undefined) expect(held).toBe(log[index - 1]);
            const range = recent.range(index, Math.min(log.length + 1, index + 5), 1 << 20);
            if (range !== undefined) expect(range).toEqual(log.slice(index - 1, index + 4));
          }
        },
      ),
    );
  });

  it("keeps the latest entries only, within its bounds, and honours bytesMax", () => {
    const recent = new RecentEntries();
    const total = RECENT_ENTRIES_MAX + 10;
    recent.appended(Array.from({ length: total }, (_, i) => entry(i + 1, 1)));
    expect(recent.get(1)).toBeUndefined();
    expect(recent.get(total)?.index).toBe(total);
    expect(recent.get(total - RECENT_ENTRIES_MAX + 1)?.index).toBe(total - RECENT_ENTRIES_MAX + 1);
    // At least one entry, then only what fits.
    expect(recent.range(total - 3, total + 1, 0)?.map((e) => e.index)).toEqual([total - 3]);
    // A gap (entries that do not touch the run) starts a new run.
    recent.appended([entry(total + 5, 2)]);
    expect(recent.get(total)).toBeUndefined();
    expect(recent.range(total + 5, total + 6, 100)?.length).toBe(1);
  });
});
