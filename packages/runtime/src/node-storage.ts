/**
 * The contract of a node's storage: every Raft group of one node in one store, read
 * synchronously through the core's {@link RaftStorage} and written in batches that span groups
 * (group commit: one transaction, one sync per round). The runtime owns this interface (it is
 * the runtime's I/O edge; ADR 0003); `@flotilla/storage-lmdb` implements it with
 * `LmdbNodeStorage` and `MemoryNodeStorage`, and one conformance suite runs against both.
 */
import type { Entry, HardState, Membership, RaftStorage, Snapshot } from "@flotilla/raft";

/**
 * When a write is acknowledged. `as const` object with a derived type.
 *
 * - `strict` (default): `write()` resolves once everything it wrote is synced to disk.
 * - `relaxed`: `write()` resolves once the batch is committed (visible, and safe from a process
 *   crash); a machine crash may undo the last committed batch. A batch that changes a group's
 *   term or vote is always synced before it resolves.
 */
export const Durability = {
  Strict: "strict",
  Relaxed: "relaxed",
} as const;
export type Durability = (typeof Durability)[keyof typeof Durability];

/**
 * One group's part of a write batch, applied in this order: `snapshot`, `entries`, `hardState`,
 * `compactThrough` (the order a Ready asks for, then compaction).
 */
export interface GroupWrite {
  readonly groupId: string;
  /**
   * Contiguous entries to append. An entry at an index already in the log replaces it and every
   * entry after it (the conflicting suffix); entries at or below the log head are ignored.
   */
  readonly entries?: readonly Entry[];
  /** The group's new hard state. */
  readonly hardState?: HardState;
  /**
   * A snapshot received from the leader: when newer than the stored one it replaces the whole
   * log, and the commit index rises to its index.
   */
  readonly snapshot?: Snapshot;
  /**
   * Deletes log entries at and below this index, which must be covered by the stored snapshot
   * and within the log. At or below the log head it does nothing.
   */
  readonly compactThrough?: number;
}

/** A group to create, with the membership it starts from (its bootstrap snapshot at index 0). */
export interface GroupBootstrap {
  readonly groupId: string;
  readonly membership: Membership;
}

/** One group's stable storage as its replica's core reads it. */
export interface GroupStorage extends RaftStorage {
  readonly groupId: string;
}

/**
 * A node's storage of all its groups.
 *
 * Writes are serialized: each call's transaction commits after the previous call's, in call
 * order, and reads reflect exactly the committed writes (a read never sees half a batch).
 * Invalid writes (a hole in the log, compaction past the snapshot, an unknown group) are
 * programmer errors: they reject with an `AssertionError` and change nothing.
 *
 * @example
 * const storage = await LmdbNodeStorage.open(dataDir, { durability: "strict" });
 * await storage.createGroups([{ groupId: "orders-7", membership }]);
 * await storage.write([{ groupId: "orders-7", entries, hardState }]);
 * const raftStorage = storage.group("orders-7"); // hand it to the core
 */
export interface NodeStorage {
  /**
   * A small record of the node's own under `key` (for example the groups a node process hosts
   * and their kinds), as last stored by {@link setMetadata}; undefined when there is none.
   */
  metadata(key: string): Uint8Array | undefined;
  /**
   * Stores `value` under `key` in the same store, durably (synced before it resolves), in order
   * with the other writes.
   */
  setMetadata(key: string, value: Uint8Array): Promise<void>;
  /** How writes are acknowledged. */
  readonly durability: Durability;
  /** The ids of the groups stored, in no particular order. */
  groupIds(): string[];
  /** A group's storage (the same object on every call), or undefined if it does not exist. */
  group(groupId: string): GroupStorage | undefined;
  /**
   * Creates the groups that do not exist yet, in one transaction; existing ones are left as
   * they are (their membership may have changed since they were bootstrapped). Always synced.
   */
  createGroups(groups: readonly GroupBootstrap[]): Promise<void>;
  /** Deletes groups and all their data, in one transaction. Unknown ids are ignored. Synced. */
  removeGroups(groupIds: readonly string[]): Promise<void>;
  /**
   * Writes every group's part of `batch` in one transaction (group commit), and resolves when
   * it is durable as {@link durability} says. A rejected write stored nothing.
   *
   * @throws {StorageFullError} (rejects) when the disk or map is full.
   * @throws {StorageWriteError} (rejects) on another I/O failure.
   * @throws {StorageClosedError} (rejects) after `close()`.
   */
  write(batch: readonly GroupWrite[]): Promise<void>;
  /**
   * Records a snapshot the local state machine took at `index` (which must be in the log) with
   * the membership in force there, without discarding entries (compact with a later
   * `write({ compactThrough })`). A snapshot at or below the stored one is ignored and the
   * stored one is returned.
   */
  createSnapshot(
    groupId: string,
    index: number,
    membership: Membership,
    data: Uint8Array,
  ): Promise<Snapshot>;
  /** Waits for writes in flight, syncs, and releases the store. Idempotent. */
  close(): Promise<void>;
}
