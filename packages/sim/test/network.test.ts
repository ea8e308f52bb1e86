import { describe, expect, it } from "vitest";
import { nodeId, SeededRandom, type Message } from "@flotilla/raft";
import { CALM_NETWORK, Network } from "../src/network.js";

const a = nodeId("a");
const b = nodeId("b");

function heartbeat(term: number, from = a, to = b): Message {
  return { type: "Heartbeat", from, to, term, commitIndex: 0, context: undefined };
}

describe("Network", () => {
  it("delivers in send order after the delay, never in the sending step", () => {
    const network = new Network(new SeededRandom(1), CALM_NETWORK, { inFlightMax: 100 });
    network.send("g", heartbeat(1), 0);
    network.send("g", heartbeat(2), 0);
    expect(network.deliverDue(0)).toEqual([]);
    expect(network.deliverDue(1).map((e) => e.message.term)).toEqual([1, 2]);
    expect(network.inFlightCount()).toBe(0);
  });

  it("drops messages on a cut link, in one direction only", () => {
    const network = new Network(new SeededRandom(1), CALM_NETWORK, { inFlightMax: 100 });
    network.cut(a, b);
    network.send("g", heartbeat(1, a, b), 0);
    network.send("g", heartbeat(1, b, a), 0);
    expect(network.deliverDue(1).map((e) => e.message.from)).toEqual([b]);
    network.healAll();
    network.send("g", heartbeat(2, a, b), 1);
    expect(network.deliverDue(2)).toHaveLength(1);
  });

  it("drops the oldest message when full", () => {
    const network = new Network(new SeededRandom(1), CALM_NETWORK, { inFlightMax: 2 });
    for (const term of [1, 2, 3]) network.send("g", heartbeat(term), 0);
    expect(network.deliverDue(1).map((e) => e.message.term)).toEqual([2, 3]);
    expect(network.stats.droppedByOverflow).toBe(1);
  });

  it("drops, duplicates and reorders at roughly the configured odds, deterministically", () => {
    const faults = {
      dropOdds: 0.2,
      duplicateOdds: 0.2,
      reorderOdds: 0.2,
      delayStepsMin: 1,
      delayStepsMax: 3,
    };
    const run = (): number[] => {
      const network = new Network(new SeededRandom(42), faults, { inFlightMax: 10_000 });
      for (let term = 1; term <= 1000; term++) network.send("g", heartbeat(term), 0);
      const out: number[] = [];
      for (let step = 1; step <= 10; step++)
        out.push(...network.deliverDue(step).map((e) => e.message.term));
      expect(network.stats.dropped).toBeGreaterThan(100);
      expect(network.stats.duplicated).toBeGreaterThan(100);
      expect(network.stats.reordered).toBeGreaterThan(100);
      return out;
    };
    const first = run();
    expect(first).toEqual(run());
    expect(first.some((term, i) => i > 0 && term < (first[i - 1] ?? 0))).toBe(true);
  });
});
