/**
 * A node's storage for one incarnation of a simulated host, with a crash model. A write is
 * checked at once (as LMDB's write plan does) but becomes visible to the host's reads only when
 * its transaction commits — at {@link SimNodeStorage.commit} or a sync, a later step — and its
 * promise resolves only when the simulator decides the disk synced: a host that reads its own
 * write before it resolved, or sends a vote or an append acknowledgement before then, is relying
 * on something a crash (or the commit still to come) can take back. A crash keeps the synced
 * state, plus optionally a prefix of the unsynced transactions (a torn tail), and leaves the dead
 * incarnation's pending writes unresolved forever. A write batch can also fail with an injected
 * I/O error, storing nothing.
 */
import type { Membership, Snapshot } from "@flotilla/raft";
import {
  Durability,
  StorageClosedError,
  StorageWriteError,
  type GroupBootstrap,
  type GroupStorage,
  type GroupWrite,
  type MemoryNodeStorage,
  type NodeStorage,
} from "@flotilla/storage-lmdb";
import { applyOp, type DiskOp, type SimDisk } from "./sim-disk.js";

/** A transaction written but not yet synced. */
interface PendingOp {
  readonly op: DiskOp;
  /** False once the live store refused it (it stored nothing, so nothing is synced). */
  valid: boolean;
  synced: boolean;
  /** Resolves the host's promise; set once the live store accepted the transaction. */
  release: (() => void) | undefined;
}

/** Unsynced transactions kept at most; past it the disk syncs by itself (an OS flushing). */
export const UNSYNCED_OPS_MAX = 4096;

/**
 * {@link NodeStorage} over a {@link SimDisk}. One instance per host incarnation.
 *
 * @example
 * const storage = new SimNodeStorage(disk, (error) => report(error));
 * const written = storage.write(batch); // pending
 * storage.sync(); // now durable
 * storage.acknowledge(); // `written` resolves
 */
export class SimNodeStorage implements NodeStorage {
  readonly durability: Durability = Durability.Strict;
  /** What the host reads: the committed transactions. */
  private readonly live: MemoryNodeStorage;
  /** Every transaction accepted so far, committed or not: it judges each new one at once. */
  private readonly planned: MemoryNodeStorage;
  /** Accepted transactions not yet visible to reads, in order. */
  private uncommitted: PendingOp[] = [];
  private pending: PendingOp[] = [];
  private unacknowledged: PendingOp[] = [];
  private state: "open" | "crashed" | "closed" = "open";
  /** Write batches failed on purpose (the host should fail-stop on the first). */
  injectedFailures = 0;

  constructor(
    private readonly disk: SimDisk,
    /** Called when the host asks for a transaction the store refuses (an invalid batch). */
    private readonly onRefused: (what: string, error: unknown) => void,
    /** Asked before each write batch: true makes it fail with an injected I/O error. */
    private readonly failWrite: () => boolean = () => false,
  ) {
    this.live = disk.rebuild();
    this.planned = disk.rebuild();
  }

  groupIds(): string[] {
    return this.live.groupIds();
  }

  group(groupId: string): GroupStorage | undefined {
    return this.live.group(groupId);
  }

  /** Always synced, as the contract says: everything written before it is synced with it. */
  createGroups(groups: readonly GroupBootstrap[]): Promise<void> {
    const result = this.submit<void>({ type: "create-groups", groups });
    this.syncNow();
    return result;
  }

  /** Always synced. */
  removeGroups(groupIds: readonly string[]): Promise<void> {
    const op: DiskOp = { type: "remove-groups", groupIds };
    const result = this.submit<void>(op);
    this.syncNow();
    return result;
  }

  write(batch: readonly GroupWrite[]): Promise<void> {
    if (this.state === "open" && this.failWrite()) {
      // An I/O error: the transaction stored nothing (the contract of a rejected write).
      this.injectedFailures++;
      return Promise.reject(new StorageWriteError("sim-disk", 5, "write"));
    }
    return this.submit<void>({ type: "write", batch });
  }

  createSnapshot(
    groupId: string,
    index: number,
    membership: Membership,
    data: Uint8Array,
  ): Promise<Snapshot> {
    const op: DiskOp = { type: "create-snapshot", groupId, index, membership, data };
    return this.submit<Snapshot>(op);
  }

  /** Syncs what was written and closes. Idempotent. */
  /** Node metadata: the runtime never writes it, so the simulator keeps it durable at once. */
  private readonly records = new Map<string, Uint8Array>();

  metadata(key: string): Uint8Array | undefined {
    return this.records.get(key);
  }

  setMetadata(key: string, value: Uint8Array): Promise<void> {
    this.records.set(key, Uint8Array.from(value));
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.state === "open") {
      this.syncNow();
      this.state = "closed";
    }
    return Promise.resolve();
  }

  /**
   * The transactions written so far commit: the host's reads see them (not yet durable, and not
   * yet acknowledged — the LMDB commit before its sync returns).
   */
  commit(): void {
    if (this.state !== "open") return;
    const committed = this.uncommitted;
    this.uncommitted = [];
    for (const pending of committed) {
      // The planned store accepted it, so the live one (the same state, behind) does too.
      if (pending.valid) void applyOp(this.live, pending.op).catch(this.onCommitRefused);
    }
  }

  /** Transactions written but not yet visible to the host's reads. */
  uncommittedCount(): number {
    return this.uncommitted.filter((pending) => pending.valid).length;
  }

  /**
   * An fsync: every transaction so far commits and becomes durable. The host learns it only at
   * {@link acknowledge}, so a crash can fall between the two (durable, never acknowledged).
   */
  sync(): void {
    if (this.state !== "open") return;
    this.commit();
    const synced = this.pending;
    this.pending = [];
    for (const pending of synced) {
      if (!pending.valid) continue;
      this.disk.apply(pending.op);
      this.unacknowledged.push(pending);
    }
  }

  /** The fsync returns: the host's promises of every synced transaction resolve. */
  acknowledge(): void {
    if (this.state !== "open") return;
    const synced = this.unacknowledged;
    this.unacknowledged = [];
    for (const pending of synced) {
      pending.synced = true;
      pending.release?.();
    }
  }

  /** Transactions synced but not yet acknowledged to the host. */
  unacknowledgedCount(): number {
    return this.unacknowledged.length;
  }

  /** The durable state of `groupId` (what a restart would read), if the group exists. */
  durableGroup(groupId: string): GroupStorage | undefined {
    return this.disk.durableGroup(groupId);
  }

  /** Transactions a crash right now could lose. */
  unsyncedCount(): number {
    return this.pending.filter((pending) => pending.valid).length;
  }

  /**
   * The node crashed: the first `keptOps` unsynced transactions reached the disk anyway, the
   * rest are lost, and nothing pending ever resolves. Returns how many transactions were lost.
   */
  crash(keptOps: number): number {
    if (this.state !== "open") return 0;
    this.state = "crashed";
    this.unacknowledged = [];
    this.uncommitted = [];
    const valid = this.pending.filter((pending) => pending.valid);
    this.pending = [];
    const kept = valid.slice(0, Math.max(0, keptOps));
    for (const pending of kept) this.disk.apply(pending.op);
    return valid.length - kept.length;
  }

  /** Syncs and acknowledges at once (what the contract promises for these operations). */
  private syncNow(): void {
    this.sync();
    this.acknowledge();
  }

  private readonly onCommitRefused = (error: unknown): void =>
    this.onRefused("commit of an accepted transaction", error);

  /**
   * Checks `op` against the planned store (its verdict is the host's answer) and queues it until
   * a commit makes it visible and a sync makes it durable. After a crash nothing settles: the
   * dead host waits forever, as a killed process would.
   */
  private submit<T>(op: DiskOp): Promise<T> {
    if (this.state === "crashed") return new Promise<T>(() => undefined);
    if (this.state === "closed") return Promise.reject(new StorageClosedError());
    // applyOp resolves with what the store's own method resolves with for `op`'s type.
    const applied = applyOp(this.planned, op) as Promise<T>;
    const pending: PendingOp = { op, valid: true, synced: false, release: undefined };
    this.pending.push(pending);
    this.uncommitted.push(pending);
    if (this.pending.length > UNSYNCED_OPS_MAX) this.syncNow();
    return applied.then(
      (value) =>
        new Promise<T>((resolve) => {
          pending.release = () => resolve(value);
          if (pending.synced) resolve(value);
        }),
      (error: unknown) => {
        pending.valid = false;
        this.onRefused(op.type, error);
        throw error;
      },
    );
  }
}
