/**
 * A latency histogram with bounded memory and a stated precision: log-spaced buckets, each at
 * most {@link RELATIVE_PRECISION} wide relative to its lower edge, from 1 µs to 1,000 s. A
 * percentile is the upper edge of the bucket holding the nearest-rank sample, clamped to the
 * exact minimum and maximum, so it never understates and overstates by at most that precision.
 * Histograms merge by adding counts, so figures from many workers or processes combine exactly.
 */

/** Each bucket spans at most this fraction of its lower edge (1 %). */
export const RELATIVE_PRECISION = 0.01;

/** Samples below this are counted in the first bucket (1 µs, in ms). */
const LOWEST_MS = 0.001;
/** Samples above this are counted in the last bucket (1,000 s, in ms). */
const HIGHEST_MS = 1_000_000;
const LOG_BASE = Math.log1p(RELATIVE_PRECISION);
const BUCKET_COUNT = Math.ceil(Math.log(HIGHEST_MS / LOWEST_MS) / LOG_BASE) + 1;

/** The figures a benchmark row reports, in milliseconds. */
export interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * Latencies in milliseconds.
 *
 * @example
 * const histogram = new LatencyHistogram();
 * histogram.record(1.5);
 * histogram.record(3);
 * histogram.percentile(0.5); // 1.5 (within 1 %)
 * histogram.summary(); // { p50, p90, p99, max }
 */
export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKET_COUNT);
  private total = 0;
  private minMs = Number.POSITIVE_INFINITY;
  private maxMs = Number.NEGATIVE_INFINITY;

  /** Samples recorded. */
  get count(): number {
    return this.total;
  }

  /** Records one latency; negative or non-finite values are a programmer error. */
  record(latencyMs: number): void {
    if (!(Number.isFinite(latencyMs) && latencyMs >= 0)) {
      throw new RangeError(`latency must be a finite, non-negative number, got ${latencyMs}`);
    }
    const bucket = bucketOf(latencyMs);
    this.counts[bucket] = (this.counts[bucket] ?? 0) + 1;
    this.total++;
    if (latencyMs < this.minMs) this.minMs = latencyMs;
    if (latencyMs > this.maxMs) this.maxMs = latencyMs;
  }

  /** Adds every sample of `other` to this histogram. */
  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKET_COUNT; i++) {
      this.counts[i] = (this.counts[i] ?? 0) + (other.counts[i] ?? 0);
    }
    this.total += other.total;
    this.minMs = Math.min(this.minMs, other.minMs);
    this.maxMs = Math.max(this.maxMs, other.maxMs);
  }

  /**
   * The nearest-rank `quantile` (0 < quantile ≤ 1): the smallest recorded value with at least
   * `ceil(quantile × count)` samples at or below it, rounded up to its bucket's upper edge.
   * NaN when nothing was recorded.
   */
  percentile(quantile: number): number {
    if (!(quantile > 0 && quantile <= 1)) throw new RangeError("quantile must be in (0, 1]");
    if (this.total === 0) return Number.NaN;
    const rank = Math.ceil(quantile * this.total);
    let seen = 0;
    for (let i = 0; i < BUCKET_COUNT; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(Math.max(upperEdgeOf(i), this.minMs), this.maxMs);
    }
    return this.maxMs;
  }

  /** p50, p90, p99 and the exact maximum (all NaN when empty). */
  summary(): LatencySummary {
    return {
      p50: this.percentile(0.5),
      p90: this.percentile(0.9),
      p99: this.percentile(0.99),
      max: this.total === 0 ? Number.NaN : this.maxMs,
    };
  }
}

/**
 * The nearest-rank percentile of `sorted` (ascending), exactly: the reference the histogram is
 * tested against, and what small sample sets (the fsync probe) use directly.
 */
export function nearestRankPercentile(sorted: ArrayLike<number>, quantile: number): number {
  if (!(quantile > 0 && quantile <= 1)) throw new RangeError("quantile must be in (0, 1]");
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(quantile * sorted.length);
  return sorted[rank - 1] ?? Number.NaN;
}

function bucketOf(latencyMs: number): number {
  if (latencyMs <= LOWEST_MS) return 0;
  const index = Math.ceil(Math.log(latencyMs / LOWEST_MS) / LOG_BASE);
  return Math.min(index, BUCKET_COUNT - 1);
}

/** Bucket `i` holds (upperEdgeOf(i - 1), upperEdgeOf(i)]. */
function upperEdgeOf(index: number): number {
  return LOWEST_MS * Math.exp(index * LOG_BASE);
}
