/**
 * The benchmark's latency figures: the exact nearest-rank percentile on known data, and the
 * bounded-memory histogram against it (fast code against an obviously correct slow version):
 * never below the exact value, at most 1 % above it, exact maximum, and merging equals recording
 * everything in one histogram.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  LatencyHistogram,
  RELATIVE_PRECISION,
  nearestRankPercentile,
} from "../../bench/lib/latency-histogram.js";

const QUANTILES = [0.01, 0.5, 0.9, 0.99, 0.999, 1];

/** Latencies from 1 µs to 100 s, the range the histogram claims its precision over. */
const latencies = fc.array(fc.double({ min: 0.001, max: 100_000, noNaN: true }), {
  minLength: 1,
  maxLength: 300,
});

function histogramOf(values: readonly number[]): LatencyHistogram {
  const histogram = new LatencyHistogram();
  for (const value of values) histogram.record(value);
  return histogram;
}

function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

describe("nearestRankPercentile", () => {
  const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it("is the value at rank ceil(q × n) of 1..100", () => {
    expect(nearestRankPercentile(oneToHundred, 0.5)).toBe(50);
    expect(nearestRankPercentile(oneToHundred, 0.9)).toBe(90);
    expect(nearestRankPercentile(oneToHundred, 0.99)).toBe(99);
    expect(nearestRankPercentile(oneToHundred, 0.991)).toBe(100);
    expect(nearestRankPercentile(oneToHundred, 1)).toBe(100);
    expect(nearestRankPercentile(oneToHundred, 0.001)).toBe(1);
  });

  it("returns a recorded value, never an interpolation", () => {
    expect(nearestRankPercentile([1, 10], 0.5)).toBe(1);
    expect(nearestRankPercentile([1, 10], 0.51)).toBe(10);
    expect(nearestRankPercentile([7], 0.99)).toBe(7);
  });

  it("is NaN for no samples and refuses quantiles outside (0, 1]", () => {
    expect(nearestRankPercentile([], 0.5)).toBeNaN();
    expect(() => nearestRankPercentile([1], 0)).toThrow(RangeError);
    expect(() => nearestRankPercentile([1], 1.5)).toThrow(RangeError);
  });
});

describe("LatencyHistogram", () => {
  it("reports NaN figures when empty", () => {
    const summary = new LatencyHistogram().summary();
    expect(summary.p50).toBeNaN();
    expect(summary.max).toBeNaN();
  });

  it("reports a lone sample exactly at every percentile", () => {
    const summary = histogramOf([3.25]).summary();
    expect(summary).toEqual({ p50: 3.25, p90: 3.25, p99: 3.25, max: 3.25 });
  });

  it("gives 1..1000 ms within 1 % of the exact percentiles, and the exact maximum", () => {
    const values = Array.from({ length: 1000 }, (_, i) => i + 1);
    const summary = histogramOf(values).summary();
    expect(summary.p50).toBeGreaterThanOrEqual(500);
    expect(summary.p50).toBeLessThanOrEqual(505);
    expect(summary.p90).toBeGreaterThanOrEqual(900);
    expect(summary.p90).toBeLessThanOrEqual(909);
    expect(summary.p99).toBeGreaterThanOrEqual(990);
    expect(summary.p99).toBeLessThanOrEqual(999.9);
    expect(summary.max).toBe(1000);
  });

  it("reports latencies below 1 µs as at most 1 µs", () => {
    const histogram = histogramOf([0, 0.0002, 0.0004, 5]);
    expect(histogram.percentile(0.5)).toBeLessThanOrEqual(0.001);
    expect(histogram.percentile(0.25)).toBeLessThanOrEqual(0.001);
    expect(histogram.percentile(1)).toBe(5);
  });

  it("refuses negative and non-finite latencies", () => {
    const histogram = new LatencyHistogram();
    expect(() => histogram.record(-1)).toThrow(RangeError);
    expect(() => histogram.record(Number.NaN)).toThrow(RangeError);
    expect(() => histogram.record(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(histogram.count).toBe(0);
  });

  it("never understates and overstates by at most its precision (against the exact sort)", () => {
    fc.assert(
      fc.property(latencies, (values) => {
        const histogram = histogramOf(values);
        const exact = sorted(values);
        for (const quantile of QUANTILES) {
          const reference = nearestRankPercentile(exact, quantile);
          const reported = histogram.percentile(quantile);
          // 1e-9 absorbs floating-point error at a bucket edge.
          expect(reported).toBeGreaterThanOrEqual(reference * (1 - 1e-9));
          expect(reported).toBeLessThanOrEqual(reference * (1 + RELATIVE_PRECISION + 1e-9));
        }
        expect(histogram.summary().max).toBe(exact[exact.length - 1]);
        expect(histogram.count).toBe(values.length);
      }),
      { numRuns: 200, seed: 0x5eed },
    );
  });

  it("merges to the same figures as recording every sample in one histogram", () => {
    fc.assert(
      fc.property(latencies, latencies, (left, right) => {
        const merged = histogramOf(left);
        merged.merge(histogramOf(right));
        const whole = histogramOf([...left, ...right]);
        for (const quantile of QUANTILES) {
          expect(merged.percentile(quantile)).toBe(whole.percentile(quantile));
        }
        expect(merged.count).toBe(whole.count);
        expect(merged.summary().max).toBe(whole.summary().max);
      }),
      { numRuns: 100, seed: 0x5eed },
    );
  });
});
