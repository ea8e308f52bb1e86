/**
 * Small helpers for scenario tests on {@link TestCluster}: run the network round by round until
 * something holds, tick only some replicas, find the leader, add a new empty member, compact a
 * replica's log, and pick messages out of what was sent. They only drive the cluster through its
 * public surface; the cluster itself stays as it is.
 */
import {
  MemoryStorage,
  nodeId,
  type Entry,
  type HardState,
  type Membership,
  type Message,
  type NodeId,
  type Snapshot,
} from "../../src/index.js";
import type { ReplicaOptions, TestCluster, TestReplica } from "./test-cluster.js";

/** The messages of type `type` among `messages`, narrowed. */
export function ofType<T extends Message["type"]>(
  messages: readonly Message[],
  type: T,
): Extract<Message, { type: T }>[] {
  return messages.filter((m): m is Extract<Message, { type: T }> => m.type === type);
}

/** Everything the cluster sent (delivered or dropped) after `mark`, a former `c.sent.length`. */
export function sentSince(c: TestCluster, mark: number): Message[] {
  return c.sent.slice(mark);
}

/** The messages from `from` to `to` (either may be omitted) among `messages`. */
export function between(messages: readonly Message[], from?: string, to?: string): Message[] {
  return messages.filter(
    (m) => (from === undefined || m.from === from) && (to === undefined || m.to === to),
  );
}

/** The replica leading at the highest term, if any. */
export function leaderOf(c: TestCluster, among?: readonly string[]): TestReplica | undefined {
  let best: TestReplica | undefined;
  for (const replica of c.replicas.values()) {
    if (among !== undefined && !among.includes(replica.id)) continue;
    const status = replica.raft.status();
    if (status.role !== "leader") continue;
    if (best === undefined || status.term > best.raft.status().term) best = replica;
  }
  return best;
}

/** Hooks into {@link runUntil}: called for each message as it is delivered, and after each round's Readies. */
export interface RunHooks {
  readonly delivered?: (message: Message) => void;
  readonly afterReadies?: () => void;
}

/**
 * Runs the cluster one round at a time (every Ready, then every queued message) and stops as soon
 * as `done` holds, checked after the Readies and after the deliveries of each round. Without
 * `done`, runs until quiet (like `stabilize`, with hooks). Throws if the cluster goes quiet (or
 * runs out of rounds) before `done` holds.
 */
export function runUntil(
  c: TestCluster,
  done?: () => boolean,
  hooks: RunHooks = {},
  maxRounds = 10_000,
): void {
  for (let round = 0; round < maxRounds; round++) {
    if (done?.() === true) return;
    const worked = c.processReadies();
    hooks.afterReadies?.();
    if (done?.() === true) return;
    const batch = c.queue.splice(0);
    for (const message of batch) {
      hooks.delivered?.(message);
      c.replicas.get(message.to)?.raft.step(message);
    }
    if (!worked && batch.length === 0) {
      if (done === undefined) return;
      throw new Error("the cluster went quiet before the condition held");
    }
  }
  throw new Error("the cluster ran out of rounds");
}

/** Ticks only the replicas `ids`, `n` times, stabilizing after each tick. */
export function tickOnly(c: TestCluster, ids: readonly string[], n = 1): void {
  for (let i = 0; i < n; i++) {
    for (const id of ids) c.raft(id).tick();
    c.stabilize();
  }
}

/**
 * Ticks `ids` (default: every replica) one tick at a time, stabilizing after each, until `done`
 * holds. Returns the ticks it took; throws after `max` ticks.
 */
export function tickUntil(
  c: TestCluster,
  done: () => boolean,
  options: { readonly max: number; readonly only?: readonly string[] },
): number {
  const ids = options.only ?? [...c.replicas.keys()];
  for (let ticks = 0; ticks <= options.max; ticks++) {
    if (done()) return ticks;
    tickOnly(c, ids, 1);
  }
  throw new Error(`condition still false after ${options.max} ticks`);
}

/**
 * Adds a new, empty replica `id` that knows only the group's bootstrap membership (as a node
 * started to join an existing group does); it learns the rest from the leader's log or snapshot.
 */
export function addNewMember(
  c: TestCluster,
  id: string,
  bootstrap: Membership,
  options: ReplicaOptions = {},
): TestReplica {
  return c.add(nodeId(id), new MemoryStorage(bootstrap), options);
}

/**
 * Takes a snapshot of `replica` at `index` (which it must have applied) with the membership in
 * force there, and discards its log through `index`, as a host compacting its log would.
 */
export function compact(
  replica: TestReplica,
  index: number,
  membership: Membership,
  data: Uint8Array,
): Snapshot {
  const snapshot = replica.storage.createSnapshot(index, membership, data);
  replica.storage.compact(index);
  return snapshot;
}

/** A storage for voters `voters` holding normal entries 1..n with the given terms, and `hardState`. */
export function storageWithLog(
  voters: readonly string[],
  terms: readonly number[],
  hardState: Partial<HardState> = {},
): MemoryStorage {
  const storage = new MemoryStorage({
    voters: voters.map(nodeId),
    votersOutgoing: [],
    learners: [],
    learnersNext: [],
  });
  const entries: Entry[] = terms.map((term, i) => ({
    type: "normal",
    index: i + 1,
    term,
    data: new TextEncoder().encode(`${i + 1}@${term}`),
  }));
  storage.append(entries);
  storage.setHardState({
    term: hardState.term ?? terms[terms.length - 1] ?? 0,
    vote: hardState.vote,
    commitIndex: hardState.commitIndex ?? 0,
  });
  return storage;
}

/** The kinds of the configuration entries `replica` applied, in order. */
export function appliedConfigKinds(replica: TestReplica): string[] {
  return replica.applied.flatMap((entry) => (entry.type === "config" ? [entry.change.kind] : []));
}

/** Node ids, branded. */
export function ids(...names: string[]): NodeId[] {
  return names.map(nodeId);
}
