/**
 * The I/O steps of one round, for all replicas that produced a Ready: one storage write for all
 * of them (group commit), then one batch per destination node (coalescing), then apply,
 * streams and advance — the Ready loop of packages/raft/README.md, batched across groups.
 */
import type { HardState, Message, NodeId, Ready } from "@flotilla/raft";
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

/**
 * Messages that promise nothing about this round's write: a leader's appends, heartbeats,
 * snapshots and transfers, forwarded proposals and ReadIndex traffic. A leader may replicate
 * entries it has not yet made durable itself (dissertation §10.2.1): the core counts its own
 * copy only once `advance` says it is stored. Votes and append acknowledgements always wait.
 */
const SENDABLE_BEFORE_WRITE: ReadonlySet<Message["type"]> = new Set<Message["type"]>([
  "AppendEntries",
  "Heartbeat",
  "HeartbeatResult",
  "InstallSnapshot",
  "TimeoutNow",
  "ForwardedProposal",
  "ReadIndexRequest",
  "ReadIndexResponse",
]);

/**
 * True when nothing of `ready` needs this round's write first, apart from new entries: no
 * snapshot to store and no new term or vote (the disk already says what the messages assume).
 */
export function independentOfWrite(replica: Replica, ready: Ready): boolean {
  if (ready.snapshot !== undefined) return false;
  const hardState = ready.hardState;
  return (
    hardState === undefined ||
    (hardState.term === replica.durableTerm && hardState.vote === replica.durableVote)
  );
}

/**
 * True when `ready` would write only a new commit index. The commit index is a hint on disk (a
 * restarted replica learns the real one from its leader, and the core never takes a stored one
 * below its snapshot), so such a write need not be synced on its own: etcd syncs it, which
 * puts one more fsync between consecutive proposals at low load.
 */
export function commitOnly(replica: Replica, ready: Ready): boolean {
  return (
    ready.entries.length === 0 &&
    ready.snapshot === undefined &&
    ready.hardState !== undefined &&
    ready.hardState.term === replica.durableTerm &&
    ready.hardState.vote === replica.durableVote
  );
}

/**
 * Persists, sends, applies and advances `readies`. Work that does not depend on the round's
 * write overlaps it, so one fsync, not three, stands between a proposal and its answer:
 *
 * 1. start one `storage.write` holding every group's snapshot, entries and hard state;
 * 2. meanwhile, for each Ready that moves no term or vote and stores no snapshot: send its
 *    messages that promise nothing about the write (a leader's appends go out while its own
 *    copy is being synced), and apply its committed entries — each already durable on a
 *    majority, the leader's own copy included (the core never hands out an entry before
 *    `advance` reported it stored), so a commit index not yet synced delays nothing;
 * 3. once the write is durable: send the rest (votes, append acknowledgements), one batch per
 *    destination node, and an empty one (a node-level liveness ping) to each of `pingPeers`
 *    that got nothing else this round; then apply the Readies that had to wait;
 * 4. deliver `committed$` events;
 * 5. `advance` every Ready;
 * 6. take a snapshot where a threshold is passed (stored in the background, not awaited).
 *
 * A group whose stored snapshot allows a compaction adds `compactThrough` to its part of the
 * write; `idle` lists dirty replicas without a Ready that may have only that to write. A Ready
 * that moves only the commit index writes nothing now: its hard state waits in `deferred` (the
 * node's set) and is written with the next round that writes anything.
 */
export async function persistSendApply(
  nodeId: NodeId,
  storage: NodeStorage,
  transport: Transport,
  readies: readonly ReplicaReady[],
  clock: Clock,
  idle: readonly Replica[] = [],
  pingPeers: ReadonlySet<NodeId> = new Set(),
  deferred: Map<Replica, HardState> = new Map(),
): Promise<RoundReport> {
  const writes: GroupWrite[] = [];
  for (const { replica, ready } of readies) {
    if (ready.hardState !== undefined && commitOnly(replica, ready) && !replica.hasCompaction()) {
      deferred.set(replica, ready.hardState);
      continue;
    }
    let write = withCompaction(toGroupWrite(replica.groupId, ready), replica);
    const pending = deferred.get(replica);
    if (write !== undefined && pending !== undefined) {
      deferred.delete(replica);
      // Its own hard state is newer; otherwise the deferred one rides in its write.
      if (write.hardState === undefined) write = { ...write, hardState: pending };
    }
    if (write !== undefined) writes.push(write);
  }
  for (const replica of idle) {
    const write = withCompaction(undefined, replica);
    if (write !== undefined) writes.push(write);
  }
  if (writes.length > 0) {
    // A write happens anyway: the deferred commit indexes ride along (one sync for all).
    for (const [replica, hardState] of deferred)
      writes.push({ groupId: replica.groupId, hardState });
    deferred.clear();
  }
  const written = writes.length > 0 ? storage.write(writes) : undefined;

  const early: ReplicaReady[] = [];
  const late: ReplicaReady[] = [];
  const earlyOutbox = new Map<NodeId, GroupMessage[]>();
  const lateOutbox = new Map<NodeId, GroupMessage[]>();
  for (const item of readies) {
    const independent = independentOfWrite(item.replica, item.ready);
    (independent ? early : late).push(item);
    for (const message of item.ready.messages) {
      const outbox =
        independent && SENDABLE_BEFORE_WRITE.has(message.type) ? earlyOutbox : lateOutbox;
      addTo(outbox, message.to, { groupId: item.replica.groupId, message });
    }
  }
  for (const [to, messages] of earlyOutbox) transport.send(to, { from: nodeId, messages });
  if (early.length > 0) {
    const nowMs = clock.now();
    for (const { replica, ready } of early) replica.apply(ready, nowMs);
  }

  // A failed write rejects here: nothing that needed it has left, and the node stops.
  if (written !== undefined) await written;
  for (const { ready, replica } of readies) {
    if (ready.hardState === undefined) continue;
    replica.durableTerm = ready.hardState.term;
    replica.durableVote = ready.hardState.vote;
  }
  for (const [to, messages] of lateOutbox) transport.send(to, { from: nodeId, messages });
  let livenessPings = 0;
  for (const peer of pingPeers) {
    if (earlyOutbox.has(peer) || lateOutbox.has(peer)) continue;
    transport.send(peer, { from: nodeId, messages: [] });
    livenessPings++;
  }
  if (late.length > 0) {
    const nowMs = clock.now();
    for (const { replica, ready } of late) replica.apply(ready, nowMs);
  }
  for (const { replica } of readies) replica.flushStreams();
  for (const { replica, ready } of readies) replica.raft.advance(ready);
  const snapshots: Promise<void>[] = [];
  for (const replica of [...readies.map(({ replica }) => replica), ...idle]) {
    const snapshot = replica.snapshotIfDue();
    if (snapshot !== undefined) snapshots.push(snapshot);
  }
  const batchesSent = earlyOutbox.size + lateOutbox.size;
  return {
    readies: readies.length,
    storageWrites: writes.length > 0 ? 1 : 0,
    batchesSent,
    livenessPings,
    snapshots,
  };
}

function addTo(outbox: Map<NodeId, GroupMessage[]>, to: NodeId, message: GroupMessage): void {
  const batch = outbox.get(to);
  if (batch === undefined) outbox.set(to, [message]);
  else batch.push(message);
}

/** Adds the replica's pending `compactThrough`, if any, to its part of the write. */
function withCompaction(write: GroupWrite | undefined, replica: Replica): GroupWrite | undefined {
  const compactThrough = replica.takeCompaction();
  if (compactThrough === undefined) return write;
  return { ...(write ?? { groupId: replica.groupId }), compactThrough };
}
