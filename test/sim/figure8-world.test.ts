/**
 * A world pinned to open Raft's Figure 8 window: three nodes, one entry per AppendEntries (so a
 * follower can acknowledge an earlier-term entry before the new leader's no-op reaches it) and
 * frequent crashes. Unpinned worlds rarely combine these, so the random run alone never caught a
 * leader committing an earlier-term entry by counting; with that rule broken on purpose, seeds 10
 * and 15 of this range fail on leader completeness.
 */
import { describe, expect, it } from "vitest";
import { runSeed } from "@flotilla/sim";

const FIGURE_8_WORLD = { nodes: 3, batchBytesMax: 1, crashOdds: 0.2 } as const;

describe("a Figure-8-prone world (3 nodes, one-entry appends, frequent crashes)", () => {
  it("runs seeds 0-29 without a violation", () => {
    const violations: string[] = [];
    for (let seed = 0; seed < 30; seed++) {
      const { violation } = runSeed(seed, FIGURE_8_WORLD);
      if (violation !== undefined) violations.push(`seed ${seed}: ${violation}`);
    }
    expect(violations).toEqual([]);
  });
});
