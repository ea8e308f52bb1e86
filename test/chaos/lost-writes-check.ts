/**
 * The lost-write check: every acknowledged write's unique value survives. An acknowledged append
 * must be in its list in the final state (lists only grow); an acknowledged put or successful cas
 * may have been overwritten since, so it must appear in the group's committed stream (or a
 * snapshot event of it) instead.
 */
import { groupOfKey, isAckedWrite, type HistoryRecord } from "./history-record.js";
import type { ChaosSnapshot } from "./chaos-state.js";

/** One acknowledged write that is gone. */
export interface LostWrite {
  readonly key: string;
  readonly op: string;
  readonly value: string;
}

/**
 * Finds the acknowledged writes that are lost. `finalStates` holds each group's state after the
 * quiet period; `streamValues` every value seen in each group's streams.
 */
export function findLostWrites(
  records: readonly HistoryRecord[],
  finalStates: ReadonlyMap<string, ChaosSnapshot>,
  streamValues: ReadonlyMap<string, ReadonlySet<string>>,
): LostWrite[] {
  const listValues = new Map<string, Set<string>>();
  for (const [groupId, [, lists]] of finalStates) {
    for (const [key, list] of lists) listValues.set(`${groupId}/${key}`, new Set(list));
  }
  const lost: LostWrite[] = [];
  for (const record of records) {
    if (!isAckedWrite(record) || record.value === undefined) continue;
    const present =
      record.op === "append"
        ? (listValues.get(record.key)?.has(record.value) ?? false)
        : (streamValues.get(groupOfKey(record.key))?.has(record.value) ?? false);
    if (!present) lost.push({ key: record.key, op: record.op, value: record.value });
  }
  return lost;
}

/** The acknowledged write values of each group. */
export function ackedValuesByGroup(records: readonly HistoryRecord[]): Map<string, Set<string>> {
  const byGroup = new Map<string, Set<string>>();
  for (const record of records) {
    if (!isAckedWrite(record) || record.value === undefined) continue;
    const group = groupOfKey(record.key);
    const values = byGroup.get(group) ?? new Set<string>();
    values.add(record.value);
    byGroup.set(group, values);
  }
  return byGroup;
}
