/**
 * The committed-stream check (etcd's watch guarantees, for `committed$`): per group, every
 * subscriber saw the same entries, in index order, with no gap and no duplicate across its
 * reconnections, up to the end marker; no write was applied twice; every acknowledged write is in
 * the stream. A snapshot event stands for every index up to its own, so a subscriber that
 * received one is excused the entries below it (their values must then be in some stream or
 * snapshot all the same).
 */
import type { StreamEvent, SubscriberRecord } from "./stream-record.js";

/** The verdict of the stream check. */
export interface StreamCheckResult {
  readonly ok: boolean;
  /** One line per problem found (empty when ok). */
  readonly problems: readonly string[];
  readonly subscribers: number;
  /** Entries delivered, over every subscriber. */
  readonly entries: number;
  readonly snapshots: number;
  readonly resumes: number;
  /** Every write value seen in some stream or snapshot, by group (for the lost-write check). */
  readonly valuesByGroup: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Problems reported per group at most (the count is always given). */
const PROBLEMS_PER_GROUP_MAX = 10;

/** Checks the subscribers' records against each other and against the acknowledged writes. */
export function checkStreams(
  subscribers: readonly SubscriberRecord[],
  ackedByGroup: ReadonlyMap<string, ReadonlySet<string>>,
): StreamCheckResult {
  const problems: string[] = [];
  const valuesByGroup = new Map<string, Set<string>>();
  const groups = new Map<string, SubscriberRecord[]>();
  for (const subscriber of subscribers) {
    groups.set(subscriber.groupId, [...(groups.get(subscriber.groupId) ?? []), subscriber]);
  }
  for (const groupId of ackedByGroup.keys()) {
    if (!groups.has(groupId)) problems.push(`${groupId}: no subscriber`);
  }
  for (const [groupId, members] of groups) {
    const found = checkGroup(groupId, members, ackedByGroup.get(groupId) ?? new Set());
    valuesByGroup.set(groupId, found.values);
    problems.push(...found.problems.slice(0, PROBLEMS_PER_GROUP_MAX));
    if (found.problems.length > PROBLEMS_PER_GROUP_MAX) {
      problems.push(`${groupId}: ${found.problems.length - PROBLEMS_PER_GROUP_MAX} more problems`);
    }
  }
  const all = subscribers.flatMap((subscriber) => subscriber.events);
  return {
    ok: problems.length === 0,
    problems,
    subscribers: subscribers.length,
    entries: all.filter((event) => event.type === "entry").length,
    snapshots: all.filter((event) => event.type === "snapshot").length,
    resumes: subscribers.reduce((sum, subscriber) => sum + subscriber.resumes, 0),
    valuesByGroup,
  };
}

function checkGroup(
  groupId: string,
  members: readonly SubscriberRecord[],
  acked: ReadonlySet<string>,
): { problems: string[]; values: Set<string> } {
  const problems: string[] = [];
  const byIndex = new Map<number, Extract<StreamEvent, { type: "entry" }>>();
  const indexOfValue = new Map<string, number>();
  const values = new Set<string>();
  for (const member of members) {
    const who = `${groupId} ${member.subscriberId}`;
    if (!member.reachedEnd) problems.push(`${who}: did not reach the end marker`);
    if (member.error !== undefined) problems.push(`${who}: stream errors: ${member.error}`);
    let last = 0;
    for (const event of member.events) {
      if (event.index <= last) {
        problems.push(`${who}: index ${event.index} after ${last} (duplicate or out of order)`);
      }
      last = Math.max(last, event.index);
      if (event.type === "snapshot") {
        for (const value of event.values) values.add(value);
        continue;
      }
      values.add(event.value);
      const seen = byIndex.get(event.index);
      if (seen === undefined) byIndex.set(event.index, event);
      else if (!sameEntry(seen, event)) {
        problems.push(
          `${who}: index ${event.index} differs: ${describe(event)} vs ${describe(seen)}`,
        );
      }
      const at = indexOfValue.get(event.value);
      if (at === undefined) indexOfValue.set(event.value, event.index);
      else if (at !== event.index) {
        problems.push(
          `${groupId}: value ${event.value} applied twice (indexes ${at}, ${event.index})`,
        );
      }
    }
  }
  // No gap: each subscriber has every entry any subscriber saw, except below a snapshot it took.
  for (const member of members) {
    const own = new Set(member.events.map((event) => event.index));
    const covered = member.events.reduce(
      (max, event) => (event.type === "snapshot" ? Math.max(max, event.index) : max),
      0,
    );
    const end = member.events.reduce((max, event) => Math.max(max, event.index), 0);
    const missing = [...byIndex.keys()].filter((i) => i > covered && i <= end && !own.has(i));
    if (missing.length > 0) {
      problems.push(
        `${groupId} ${member.subscriberId}: gap, missing ${missing.length} entries (first ${missing.reduce((min, i) => Math.min(min, i))})`,
      );
    }
  }
  const absent = [...acked].filter((value) => !values.has(value));
  if (absent.length > 0) {
    problems.push(
      `${groupId}: ${absent.length} acknowledged writes in no stream (e.g. ${absent.slice(0, 3).join(", ")})`,
    );
  }
  return { problems, values };
}

function sameEntry(
  a: Extract<StreamEvent, { type: "entry" }>,
  b: Extract<StreamEvent, { type: "entry" }>,
): boolean {
  return a.term === b.term && a.key === b.key && a.op === b.op && a.value === b.value;
}

function describe(event: Extract<StreamEvent, { type: "entry" }>): string {
  return `${event.op} ${event.key}=${event.value}@t${event.term}`;
}
