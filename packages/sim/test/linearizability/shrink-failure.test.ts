/**
 * The delta-debugging shrinker on predicates with a known minimal failing set.
 */
import { describe, it, expect } from "vitest";
import { shrinkFailure } from "../../src/linearizability/shrink-failure.js";

const numbers = Array.from({ length: 20 }, (_, index) => index);

describe("shrinkFailure", () => {
  it("shrinks to the items the failure needs and says the result is minimal", () => {
    const fails = (candidate: readonly number[]): boolean =>
      candidate.includes(3) && candidate.includes(17);
    expect(shrinkFailure(numbers, fails, 1_000)).toEqual({ items: [3, 17], minimal: true });
  });

  it("keeps every item when each one is needed", () => {
    const fails = (candidate: readonly number[]): boolean => candidate.length === numbers.length;
    expect(shrinkFailure(numbers, fails, 1_000)).toEqual({ items: numbers, minimal: true });
  });

  it("stops at the attempt budget and says the result may not be minimal", () => {
    let attempts = 0;
    const fails = (candidate: readonly number[]): boolean => {
      attempts += 1;
      return candidate.includes(5);
    };
    const result = shrinkFailure(numbers, fails, 3);
    expect(attempts).toBe(3);
    expect(result.minimal).toBe(false);
    expect(result.items).toContain(5);
  });
});
