/**
 * Turns a history's exact nanosecond times (`bigint`) into the `number` times the search
 * compares, without changing any comparison: offsets from the earliest call when the history
 * spans less than 2^53 ns (104 days, so always in practice, and explanations then read in ns),
 * otherwise dense ranks, which keep every `<` and `===` between times as they were.
 */
import type { CheckedRecord } from "./checked-record.js";

/** The times of every record, in the search's units. */
export interface SearchTimes {
  /** Per record: its call time. */
  readonly call: readonly number[];
  /** Per record: its return time, `undefined` when the outcome is unknown. */
  readonly return: readonly (number | undefined)[];
  /** How to read the times in explanations. */
  readonly legend: string;
}

/** The search's times for `records`. */
export function searchTimes(records: readonly CheckedRecord[]): SearchTimes {
  if (records.length === 0) return { call: [], return: [], legend: "" };
  let origin = records[0]?.call ?? 0n;
  let last = origin;
  for (const record of records) {
    if (record.call < origin) origin = record.call;
    const end = record.return ?? record.call;
    if (end > last) last = end;
  }
  if (last - origin <= BigInt(Number.MAX_SAFE_INTEGER)) {
    const offset = (time: bigint): number => Number(time - origin);
    return {
      call: records.map((record) => offset(record.call)),
      return: records.map((record) => (record.return === null ? undefined : offset(record.return))),
      legend: `Times are nanoseconds after the history's first call (at ${origin} ns).`,
    };
  }
  const distinct = [
    ...new Set(
      records.flatMap((record) =>
        record.return === null ? [record.call] : [record.call, record.return],
      ),
    ),
  ].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const rank = new Map(distinct.map((time, index) => [time, index]));
  const rankOf = (time: bigint): number => rank.get(time) ?? Number.NaN;
  return {
    call: records.map((record) => rankOf(record.call)),
    return: records.map((record) => (record.return === null ? undefined : rankOf(record.return))),
    legend: "Times are ranks (the history spans more than 2^53 ns): only their order is real.",
  };
}
