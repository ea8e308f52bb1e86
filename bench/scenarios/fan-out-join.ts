/**
 * The fan-out scenario's join: the writer's acknowledgements and the subscriber's deliveries,
 * both `key<TAB>wall ms` files, matched by key. Keys are distinct, so a key delivered twice is a
 * duplicate (the stream repeated an entry, or a retried proposal applied twice) and an
 * acknowledged key never delivered is a missing entry; both must be 0.
 *
 * Lag is delivery minus acknowledgement, on one machine's clock. It can be negative: the leader
 * publishes each apply round on `committed` at once, but answers a propose request (up to 256
 * commands) only once all of its commands applied, so the first commands of a request reach the
 * subscriber before their reply reaches the writer. The headline percentiles clamp lag at 0 (a
 * negative lag means "no later than the writer knew"); the raw, signed percentiles are kept
 * beside them. Percentiles are exact nearest-rank over every entry of the window (sorted).
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { nearestRankPercentile } from "../lib/latency-histogram.js";

/** What the join found, for the window [windowStartMs, windowEndMs] (wall ms). */
export interface FanOutJoin {
  /** Acknowledgements in the window. */
  readonly writtenInWindow: number;
  /** Of those, delivered at least once (whenever: the subscriber ran past the window). */
  readonly deliveredOfWritten: number;
  /** Of those, never delivered. */
  readonly missingInWindow: number;
  /** Acknowledged in any phase (warm-up, window, drain) and never delivered. */
  readonly missingAll: number;
  /** Deliveries beyond the first of a key, over the whole run. */
  readonly duplicates: number;
  /** Deliveries whose time falls in the window (the throughput the subscriber saw). */
  readonly deliveriesInWindow: number;
  /** Keys delivered that the writer never saw acknowledged (given up, or still in flight). */
  readonly deliveredUnacknowledged: number;
  /** Raw (signed) lag of the window's delivered entries, ms, nearest-rank. */
  readonly lagRawMs: SignedSummary;
  /** Window entries delivered before their acknowledgement arrived (raw lag < 0). */
  readonly lagNegative: number;
  /**
   * Per second of the window: [second index, deliveries in it, acknowledgements in it, lag p99
   * (clamped at 0) of the entries acknowledged in it, NaN when none were delivered].
   */
  readonly perSecond: readonly (readonly [number, number, number, number])[];
}

/** Signed percentiles (ms); NaN when empty. Clamped ones are `Math.max(0, raw)`. */
export interface SignedSummary {
  readonly min: number;
  readonly p1: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** The nearest-rank `quantile` of `sorted` (ascending); NaN when empty. */
function signedSummary(values: readonly number[]): SignedSummary {
  const sorted = Float64Array.from(values).sort();
  return {
    min: sorted.length === 0 ? Number.NaN : (sorted[0] ?? Number.NaN),
    p1: nearestRankPercentile(sorted, 0.01),
    p50: nearestRankPercentile(sorted, 0.5),
    p90: nearestRankPercentile(sorted, 0.9),
    p99: nearestRankPercentile(sorted, 0.99),
    max: nearestRankPercentile(sorted, 1),
  };
}

/** Reads `key<TAB>ms` lines, calling `each` for every well-formed one. */
async function readRecords(file: string, each: (key: string, ms: number) => void): Promise<void> {
  const lines = createInterface({ input: createReadStream(file, { encoding: "utf8" }) });
  for await (const line of lines) {
    const tab = line.indexOf("\t");
    if (tab <= 0) continue;
    const ms = Number(line.slice(tab + 1));
    if (Number.isFinite(ms)) each(line.slice(0, tab), ms);
  }
}

/** Joins the writer's `ackFile` with the subscriber's `deliveryFile` over the window. */
export async function joinRecords(
  ackFile: string,
  deliveryFile: string,
  windowStartMs: number,
  windowEndMs: number,
): Promise<FanOutJoin> {
  const acked = new Map<string, number>();
  await readRecords(ackFile, (key, ms) => acked.set(key, ms));
  const firstDelivery = new Map<string, number>();
  let duplicates = 0;
  let deliveriesInWindow = 0;
  let deliveredUnacknowledged = 0;
  const seconds = Math.max(1, Math.ceil((windowEndMs - windowStartMs) / 1000));
  const secondOf = (ms: number): number => Math.floor((ms - windowStartMs) / 1000);
  const deliveriesPerSecond = new Array<number>(seconds).fill(0);
  await readRecords(deliveryFile, (key, ms) => {
    if (firstDelivery.has(key)) {
      duplicates++;
      return;
    }
    firstDelivery.set(key, ms);
    if (!acked.has(key)) deliveredUnacknowledged++;
    if (ms >= windowStartMs && ms <= windowEndMs) {
      deliveriesInWindow++;
      const second = secondOf(ms);
      if (second < seconds) deliveriesPerSecond[second] = (deliveriesPerSecond[second] ?? 0) + 1;
    }
  });

  const lags: number[] = [];
  const lagsPerSecond = Array.from({ length: seconds }, (): number[] => []);
  const acksPerSecond = new Array<number>(seconds).fill(0);
  let writtenInWindow = 0;
  let missingAll = 0;
  for (const [key, ackMs] of acked) {
    const deliveredMs = firstDelivery.get(key);
    if (deliveredMs === undefined) missingAll++;
    if (ackMs < windowStartMs || ackMs > windowEndMs) continue;
    writtenInWindow++;
    const second = Math.min(secondOf(ackMs), seconds - 1);
    acksPerSecond[second] = (acksPerSecond[second] ?? 0) + 1;
    if (deliveredMs === undefined) continue;
    lags.push(deliveredMs - ackMs);
    lagsPerSecond[second]?.push(deliveredMs - ackMs);
  }
  return {
    writtenInWindow,
    deliveredOfWritten: lags.length,
    missingInWindow: writtenInWindow - lags.length,
    missingAll,
    duplicates,
    deliveriesInWindow,
    deliveredUnacknowledged,
    lagRawMs: signedSummary(lags),
    lagNegative: lags.filter((lag) => lag < 0).length,
    perSecond: Array.from(
      { length: seconds },
      (_, i) =>
        [
          i,
          deliveriesPerSecond[i] ?? 0,
          acksPerSecond[i] ?? 0,
          Math.max(0, signedSummary(lagsPerSecond[i] ?? []).p99),
        ] as const,
    ),
  };
}
