import { describe, expect, it } from "vitest";
import { NodeClock } from "../src/node-clock.js";

function ticks(clock: NodeClock, steps: number): number[] {
  const at: number[] = [];
  for (let step = 0; step < steps; step++) if (clock.ticksAt(step)) at.push(step);
  return at;
}

describe("NodeClock", () => {
  it("ticks once per period from its phase", () => {
    expect(ticks(new NodeClock(3, 1), 10)).toEqual([1, 4, 7]);
  });

  it("a clock running 10% slow ticks 10% less often, never twice in a step", () => {
    const at = ticks(new NodeClock(3.3, 0), 3300);
    expect(at).toHaveLength(1000);
    expect(new Set(at).size).toBe(at.length);
  });

  it("refuses a period under one step", () => {
    expect(() => new NodeClock(0.5, 0)).toThrow(RangeError);
  });
});
