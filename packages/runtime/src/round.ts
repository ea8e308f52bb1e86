/**
 * The I/O steps of one round, for all replicas that produced a Ready: one storage write for all
 * of them (group commit), then one batch per destination node (coalescing), then apply,
 * streams and advance — the Ready loop of packages/raft/README.md, batched across groups.
 */
import type { NodeId, Ready } from "@flotilla/raft";
import type { GroupWrite, NodeStorage } from "./node-storage.js";
import type { Clock } from "./clock.js";
import type { Replica } from "./replica.js";
import type { GroupMessage, Transport } from "./transport.js";

/** A replica with the Ready it handed out this round. */
export interface ReplicaReady {
  readonly replica: Replica;
  readonly ready: Ready;
}

/** What a round did, for tests and metrics. */
export interface RoundReport {
  readonly readies: number;
  readonly storageWrites: number;
  readonly batchesSent: number;
  /** Empty batches sent to peers owed a liveness ping and sent no Raft batch this round. */
  readonly livenessPings: number;
  /** Snapshots taken this round, each settling once stored (or failed); never rejecting. */
  readonly snapshots: readonly Promise<void>[];
}

/** One group's part of the round's write, or undefined when its Ready persists nothing. */
export function toGroupWrite(groupId: string, ready: Ready): GroupWrite | undefined {
  const hasEntries = ready.entries.length > 0;
  if (!hasEntries && ready.hardState === undefined && ready.snapshot === undefined) {
    return undefined;
  }
  return {
    groupId,
    ...(ready.snapshot === undefined ? {} : { snapshot: ready.snapshot }),
    ...(hasEntries ? { entries: ready.entries } : {}),
    ...(ready.hardState === undefined ? {} : { hardState: ready.hardState }),
  };
}

/** Every outgoing message of the round, grouped by destination node, in Ready order. */
export function coalesce(readies: readonly ReplicaReady[]): Map<NodeId, GroupMessage[]> {
  const outbox = new Map<NodeId, GroupMessage[]>();
  for (const { replica, ready } of readies) {
    for (const message of ready.messages) {
      let batch = outbox.get(message.to);
      if (batch === undefined) {
        batch = [];
        outbox.set(message.to, batch);
      }
      batch.push({ groupId: replica.groupId, message });
    }
  }
  return outbox;
}

/**
 * Persists, sends, applies and advances `readies`, in that order:
 *
 * 1. one `storage.write` holding every group's snapshot, entries and hard state — a vote or an
 *    append acknowledgement leaves only after the write that it depends on is durable;
 * 2. one `transport.send` per destination node, and an empty one (a node-level liveness ping)
 *    to each of `pingPeers` that gets nothing else;
 * 3. apply committed entries, settle proposals and reads, report leadership (per replica);
 * 4. deliver `committed$` events;
 * 5. `advance` every Ready;
 * 6. take a snapshot where a threshold is passed (stored in the background, not awaited).
 *
 * A group whose stored snapshot allows a compaction adds `compactThrough` to its part of the
 * write; `idle` lists dirty replicas without a Ready that may have only that to write.
 */
export async function persistSendApply(
  nodeId: NodeId,
  storage: NodeStorage,
  transport: Transport,
  readies: readonly ReplicaReady[],
  clock: Clock,
  idle: readonly Replica[] = [],
  pingPeers: ReadonlySet<NodeId> = new Set(),
): Promise<RoundReport> {
  const writes: GroupWrite[] = [];
  for (const { replica, ready } of readies) {
    const write = withCompaction(toGroupWrite(replica.groupId, ready), replica);
    if (write !== undefined) writes.push(write);
  }
  for (const replica of idle) {
    const write = withCompaction(undefined, replica);
    if (write !== undefined) writes.push(write);
  }
  if (writes.length > 0) await storage.write(writes);
  const outbox = coalesce(readies);
  for (const [to, messages] of outbox) transport.send(to, { from: nodeId, messages });
  let livenessPings = 0;
  for (const peer of pingPeers) {
    if (outbox.has(peer)) continue;
    transport.send(peer, { from: nodeId, messages: [] });
    livenessPings++;
  }
  const nowMs = clock.now();
  for (const { replica, ready } of readies) replica.apply(ready, nowMs);
  for (const { replica } of readies) replica.flushStreams();
  for (const { replica, ready } of readies) replica.raft.advance(ready);
  const snapshots: Promise<void>[] = [];
  for (const replica of [...readies.map(({ replica }) => replica), ...idle]) {
    const snapshot = replica.snapshotIfDue();
    if (snapshot !== undefined) snapshots.push(snapshot);
  }
  return {
    readies: readies.length,
    storageWrites: writes.length > 0 ? 1 : 0,
    batchesSent: outbox.size,
    livenessPings,
    snapshots,
  };
}

/** Adds the replica's pending `compactThrough`, if any, to its part of the write. */
function withCompaction(write: GroupWrite | undefined, replica: Replica): GroupWrite | undefined {
  const compactThrough = replica.takeCompaction();
  if (compactThrough === undefined) return write;
  return { ...(write ?? { groupId: replica.groupId }), compactThrough };
}
