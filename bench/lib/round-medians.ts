/**
 * Folds the rounds of one configuration (system, durability, scenario, in-flight count) into
 * one row of medians, keeping the spread as min and max: a full run reports "median [min–max]"
 * over its interleaved rounds, as issue 7 asks. Failed and skipped rows take no part.
 */
import type { PeerRow } from "./peer-row.js";

/** A configuration's median row and the spread of its main figures. */
export interface MedianRow {
  /** The first round's row with every figure replaced by the median over the rounds. */
  readonly row: PeerRow;
  readonly rounds: number;
  readonly opsPerSecond: Range;
  readonly p99Ms: Range;
  readonly cpuMsPer1kOps: Range;
}

/** The smallest and largest value over the rounds. */
export interface Range {
  readonly min: number;
  readonly max: number;
}

/**
 * One {@link MedianRow} per configuration among the `ok` rows of `rows`, in first-seen order.
 *
 * @example
 * const medians = medianOverRounds(report.rows); // medians[0].row.opsPerSecond, .opsPerSecond.min
 */
export function medianOverRounds(rows: readonly PeerRow[]): MedianRow[] {
  const groups = new Map<string, PeerRow[]>();
  for (const row of rows) {
    if (row.status !== "ok") continue;
    const key = `${row.system}|${row.durability}|${row.scenario}|${row.inFlight}`;
    const list = groups.get(key) ?? [];
    list.push(row);
    groups.set(key, list);
  }
  return [...groups.values()].flatMap((list) => {
    const first = list[0];
    if (first === undefined) return [];
    const of = (pick: (row: PeerRow) => number | null | undefined): number[] =>
      list.map(pick).filter((v): v is number => typeof v === "number" && Number.isFinite(v));
    const row: PeerRow = {
      ...first,
      opsPerSecond: median(of((r) => r.opsPerSecond)),
      latencyMs: {
        p50: median(of((r) => r.latencyMs?.p50)) ?? Number.NaN,
        p90: median(of((r) => r.latencyMs?.p90)) ?? Number.NaN,
        p99: median(of((r) => r.latencyMs?.p99)) ?? Number.NaN,
        max: Math.max(...of((r) => r.latencyMs?.max)),
      },
      cpuMsPer1kOps: median(of((r) => r.cpuMsPer1kOps)),
      cpuPercentOfOneCore: median(of((r) => r.cpuPercentOfOneCore)),
      rssMbMax: Math.max(...of((r) => r.rssMbMax)),
      clientCpuMsPer1kOps: median(of((r) => r.clientCpuMsPer1kOps)),
      errors: sumErrors(list),
    };
    return [
      {
        row,
        rounds: list.length,
        opsPerSecond: range(of((r) => r.opsPerSecond)),
        p99Ms: range(of((r) => r.latencyMs?.p99)),
        cpuMsPer1kOps: range(of((r) => r.cpuMsPer1kOps)),
      },
    ];
  });
}

/** The median (the mean of the middle two for an even count); null when empty. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? upper) + upper) / 2;
}

function range(values: readonly number[]): Range {
  return values.length === 0
    ? { min: Number.NaN, max: Number.NaN }
    : { min: Math.min(...values), max: Math.max(...values) };
}

function sumErrors(rows: readonly PeerRow[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const row of rows) {
    for (const [code, n] of Object.entries(row.errors)) total[code] = (total[code] ?? 0) + n;
  }
  return total;
}
