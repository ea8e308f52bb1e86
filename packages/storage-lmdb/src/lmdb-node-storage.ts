/**
 * A node's storage in one LMDB environment holding every group (ADR 0003). Writes are group
 * commits: one batch, one transaction, one sync, for all groups. Each batch is planned and
 * encoded before its transaction, so an invalid batch changes nothing; batches commit one after
 * another in call order, the next starting as soon as the previous committed (its sync and the
 * next transaction overlap only when LMDB allows it).
 *
 * Reads are synchronous and pinned to one read transaction that is renewed after every commit,
 * so they always see exactly the committed state the in-memory summaries describe, and no read
 * transaction outlives the next write (a long-lived one would make the file grow without bound).
 */
import type { Transaction } from "lmdb";
import { assert, entrySizeBytes, type Entry, type Membership, type Snapshot } from "@flotilla/raft";
import { encodePlan } from "./kv-ops.js";
import {
  DEFAULT_MAP_SIZE_BYTES,
  loadGroups,
  openEnvironment,
  type Environment,
} from "./lmdb-environment.js";
import { LmdbGroupStorage, type GroupReader, type SnapshotLayout } from "./lmdb-group-storage.js";
import { entryKey, keyNumber, SNAPSHOT_CHUNK_BYTES_MAX } from "./lmdb-layout.js";
import {
  Durability,
  type GroupBootstrap,
  type GroupWrite,
  type NodeStorage,
} from "@flotilla/runtime";
import { decodeEntry, decodeSnapshotChunk } from "./record-codec.js";
import { StorageClosedError, StorageCorruptionError } from "./storage-errors.js";
import { classifyWriteFailure, type StorageLogger } from "./write-failure.js";
import { WritePlan, type GroupSummary } from "./write-plan.js";

/** Options of {@link LmdbNodeStorage.open}. */
export interface LmdbNodeStorageOptions {
  /** When writes are acknowledged; see {@link Durability}. Default `"strict"`. */
  readonly durability?: Durability;
  /** The initial memory map (it grows on demand). Default 256 MiB. */
  readonly mapSizeBytes?: number;
  /** The largest snapshot chunk stored in one value, at most (and by default) 1 MiB. */
  readonly snapshotChunkBytes?: number;
  /** Where a refused or failed write is logged (pino-compatible). */
  readonly logger?: StorageLogger;
}

/** What one committed batch leaves: its result and the wait for its durability. */
interface Committed<T> {
  readonly result: T;
  readonly durable: Promise<void>;
}

/**
 * {@link NodeStorage} on LMDB.
 *
 * @example
 * const storage = await LmdbNodeStorage.open("/var/lib/flotilla/n1", { durability: "strict" });
 * await storage.createGroups([{ groupId: "orders-7", membership: membershipOf([nodeId("n1")]) }]);
 * await storage.write([{ groupId: "orders-7", entries: [{ index: 1, term: 1, type: "noop" }] }]);
 * storage.group("orders-7")?.lastIndex(); // 1
 * await storage.close();
 */
export class LmdbNodeStorage implements NodeStorage, GroupReader {
  readonly durability: Durability;
  /** The data directory. */
  readonly path: string;
  private readonly env: Environment;
  private readonly groups = new Map<string, LmdbGroupStorage>();
  private readonly chunkBytes: number;
  private readonly logger: StorageLogger | undefined;
  private readTxn: Transaction;
  /** Settles when the last accepted batch has committed (or failed). */
  private queue: Promise<void> = Promise.resolve();
  /** Durability waits not yet settled, so close() can wait for them. */
  private readonly pendingDurable = new Set<Promise<void>>();
  /** No new calls accepted (close() was called). */
  private closed = false;
  /** The environment is released: no reads either. */
  private released = false;
  private closing: Promise<void> | undefined;

  private constructor(path: string, env: Environment, options: LmdbNodeStorageOptions) {
    this.path = path;
    this.env = env;
    this.durability = options.durability ?? Durability.Strict;
    this.chunkBytes = options.snapshotChunkBytes ?? SNAPSHOT_CHUNK_BYTES_MAX;
    this.logger = options.logger;
    for (const [groupId, { summary, layout }] of loadGroups(env.root, env.dbs)) {
      this.groups.set(groupId, new LmdbGroupStorage(groupId, summary, layout, this));
    }
    this.readTxn = env.root.useReadTransaction();
  }

  /**
   * Opens (or creates) the node storage in the directory `path`.
   *
   * @throws {StorageFormatVersionError} (rejects) when the directory was written by an unknown
   *   format version or holds another program's LMDB environment.
   * @throws {StorageCorruptionError} (rejects) when a group's records are missing or damaged.
   */
  static async open(path: string, options: LmdbNodeStorageOptions = {}): Promise<LmdbNodeStorage> {
    const chunkBytes = options.snapshotChunkBytes ?? SNAPSHOT_CHUNK_BYTES_MAX;
    if (!(
      Number.isSafeInteger(chunkBytes) &&
      chunkBytes > 0 &&
      chunkBytes <= SNAPSHOT_CHUNK_BYTES_MAX
    )) {
      throw new RangeError(`snapshotChunkBytes must be in [1, ${SNAPSHOT_CHUNK_BYTES_MAX}]`);
    }
    const durability = options.durability ?? Durability.Strict;
    const env = await openEnvironment(
      path,
      durability,
      options.mapSizeBytes ?? DEFAULT_MAP_SIZE_BYTES,
    );
    try {
      return new LmdbNodeStorage(path, env, options);
    } catch (error) {
      await env.root.close();
      throw error;
    }
  }

  groupIds(): string[] {
    return [...this.groups.keys()];
  }

  group(groupId: string): LmdbGroupStorage | undefined {
    return this.groups.get(groupId);
  }

  createGroups(groups: readonly GroupBootstrap[]): Promise<void> {
    return this.enqueue((plan) => {
      for (const { groupId, membership } of groups) plan.createGroup(groupId, membership);
    }, true);
  }

  removeGroups(groupIds: readonly string[]): Promise<void> {
    return this.enqueue((plan) => {
      for (const groupId of groupIds) plan.removeGroup(groupId);
    }, true);
  }

  write(batch: readonly GroupWrite[]): Promise<void> {
    return this.enqueue(
      (plan) => {
        for (const write of batch) plan.apply(write);
      },
      false,
      () => {
        for (const write of batch) this.groups.get(write.groupId)?.written(write);
      },
    );
  }

  async createSnapshot(
    groupId: string,
    index: number,
    membership: Membership,
    data: Uint8Array,
  ): Promise<Snapshot> {
    const metadata = await this.enqueue(
      (plan) => plan.createSnapshot(groupId, index, membership, data),
      false,
    );
    if (metadata !== undefined) return { metadata, data };
    const group = this.groups.get(groupId);
    assert(group !== undefined, `group ${groupId} exists`);
    return group.snapshot();
  }

  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  metadata(key: string): Uint8Array | undefined {
    this.assertOpen();
    const bytes = this.env.dbs.meta.get(metadataKey(key), { transaction: this.readTxn });
    return bytes === undefined ? undefined : Uint8Array.from(bytes);
  }

  setMetadata(key: string, value: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new StorageClosedError());
    const stored = Uint8Array.from(value);
    // In order with the batches (the same queue), in its own transaction, synced.
    const turn = this.queue.then(async () => {
      try {
        await this.env.root.childTransaction(() => {
          this.env.dbs.meta.putSync(metadataKey(key), stored);
        });
      } catch (error) {
        throw await classifyWriteFailure(this.path, error, "commit", this.logger);
      }
      this.renewReadTxn();
      await this.track(this.waitDurable());
    });
    this.queue = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  // --- reads (GroupReader) ---------------------------------------------------------------

  /** @internal */
  readEntry(groupId: string, index: number): Entry {
    this.assertOpen();
    const bytes = this.env.dbs.entries.get(entryKey(groupId, index), { transaction: this.readTxn });
    if (bytes === undefined)
      throw new StorageCorruptionError(groupId, `entry ${index}`, "missing (a hole in the log)");
    return decodeEntry(groupId, index, bytes);
  }

  /** @internal */
  readEntries(groupId: string, fromIndex: number, toIndex: number, bytesMax: number): Entry[] {
    this.assertOpen();
    const result: Entry[] = [];
    let bytes = 0;
    let expected = fromIndex;
    const range = this.env.dbs.entries.getRange({
      start: entryKey(groupId, fromIndex),
      end: entryKey(groupId, toIndex),
      transaction: this.readTxn,
    });
    for (const { key, value } of range) {
      const index = keyNumber(groupId, key);
      if (index !== expected) {
        throw new StorageCorruptionError(
          groupId,
          `entry ${expected}`,
          `missing (found ${String(index)})`,
        );
      }
      const entry = decodeEntry(groupId, index, value);
      bytes += entrySizeBytes(entry);
      if (result.length > 0 && bytes > bytesMax) return result;
      result.push(entry);
      expected++;
    }
    if (expected !== toIndex)
      throw new StorageCorruptionError(groupId, `entry ${expected}`, "missing");
    return result;
  }

  /** @internal */
  readSnapshotData(groupId: string, layout: SnapshotLayout): Uint8Array {
    this.assertOpen();
    const data = new Uint8Array(layout.dataBytes);
    let offset = 0;
    let expected = 0;
    const range = this.env.dbs.snapshotChunks.getRange({
      start: [groupId, 0],
      end: [groupId, layout.chunkCount],
      transaction: this.readTxn,
    });
    for (const { key, value } of range) {
      const chunk = keyNumber(groupId, key);
      if (chunk !== expected)
        throw new StorageCorruptionError(groupId, `snapshot chunk ${expected}`, "missing");
      const bytes = decodeSnapshotChunk(groupId, chunk, value);
      if (offset + bytes.byteLength > data.byteLength) {
        throw new StorageCorruptionError(
          groupId,
          `snapshot chunk ${chunk}`,
          "more data than recorded",
        );
      }
      data.set(bytes, offset);
      offset += bytes.byteLength;
      expected++;
    }
    if (expected !== layout.chunkCount || offset !== layout.dataBytes) {
      throw new StorageCorruptionError(
        groupId,
        "snapshot data",
        `${offset} of ${layout.dataBytes} bytes found`,
      );
    }
    return data;
  }

  // --- writes ----------------------------------------------------------------------------

  /**
   * Runs `build` on a plan once every earlier batch committed, commits it, and resolves once it
   * is durable. `alwaysSync` makes even a relaxed storage sync it (group creation, removal).
   */
  private enqueue<T>(
    build: (plan: WritePlan) => T,
    alwaysSync: boolean,
    committed?: () => void,
  ): Promise<T> {
    if (this.closed) return Promise.reject(new StorageClosedError());
    const turn = this.queue.then(() => this.commit(build, alwaysSync, committed));
    this.queue = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn.then(async ({ result, durable }) => {
      await durable;
      return result;
    });
  }

  private async commit<T>(
    build: (plan: WritePlan) => T,
    alwaysSync: boolean,
    committed?: () => void,
  ): Promise<Committed<T>> {
    const plan = new WritePlan({
      summary: (groupId) => this.groups.get(groupId)?.summary(),
      term: (groupId, index) => this.readEntry(groupId, index).term,
    });
    const result = build(plan);
    if (plan.ops.length === 0) return { result, durable: Promise.resolve() };
    const encoded = encodePlan(
      plan.ops,
      this.env.dbs,
      (groupId) => this.groups.get(groupId)?.snapshotLayout() ?? { dataBytes: 0, chunkCount: 0 },
      this.chunkBytes,
    );
    try {
      await this.env.root.childTransaction(() => {
        for (const op of encoded.ops) {
          if (op.value === undefined) op.db.removeSync(op.key);
          else op.db.putSync(op.key, op.value);
        }
      });
    } catch (error) {
      throw await classifyWriteFailure(this.path, error, "commit", this.logger);
    }
    this.install(plan.summaries, encoded.layouts);
    committed?.();
    this.renewReadTxn();
    const mustSync = this.durability === Durability.Strict || alwaysSync || plan.changesTermOrVote;
    return { result, durable: mustSync ? this.track(this.waitDurable()) : Promise.resolve() };
  }

  /** Publishes the committed summaries to the group storages the core reads. */
  private install(
    summaries: ReadonlyMap<string, GroupSummary | undefined>,
    layouts: ReadonlyMap<string, SnapshotLayout>,
  ): void {
    for (const [groupId, summary] of summaries) {
      const group = this.groups.get(groupId);
      if (summary === undefined) {
        group?.markRemoved();
        this.groups.delete(groupId);
        continue;
      }
      const layout = layouts.get(groupId) ??
        group?.snapshotLayout() ?? { dataBytes: 0, chunkCount: 0 };
      if (group === undefined)
        this.groups.set(groupId, new LmdbGroupStorage(groupId, summary, layout, this));
      else group.install(summary, layout);
    }
  }

  /** Moves reads to the state just committed and lets go of the previous snapshot. */
  private renewReadTxn(): void {
    const previous = this.readTxn;
    this.env.root.resetReadTxn();
    this.readTxn = this.env.root.useReadTransaction();
    previous.done();
  }

  /**
   * Waits until the commit that just resolved is on disk. Strict: lmdb-js's `flushed` promise
   * (with overlappingSync off a commit resolves only after LMDB's fdatasync and synchronous
   * meta write, so this is already settled; awaiting it keeps the documented contract). Relaxed
   * (noMetaSync): a forced `mdb_env_sync`, which also makes the meta page durable.
   */
  private waitDurable(): Promise<void> {
    const failed = async (error: unknown): Promise<never> => {
      throw await classifyWriteFailure(this.path, error, "sync", this.logger);
    };
    if (this.durability === Durability.Strict) {
      // then() is called now: lmdb-js's thenable picks the transaction to wait for when then()
      // is called, and a later batch must not make this one wait for it.
      return new Promise<void>((resolve, reject) => {
        void this.env.root.flushed.then(() => resolve(), reject);
      }).catch(failed);
    }
    return new Promise<void>((resolve, reject) => {
      this.env.syncable.sync((error) => {
        if (error)
          reject(
            error instanceof Error ? error : new Error("environment sync failed", { cause: error }),
          );
        else resolve();
      });
    }).catch(failed);
  }

  private track(durable: Promise<void>): Promise<void> {
    this.pendingDurable.add(durable);
    const forget = (): void => {
      this.pendingDurable.delete(durable);
    };
    void durable.then(forget, forget);
    return durable;
  }

  private async closeOnce(): Promise<void> {
    this.closed = true;
    await this.queue;
    await Promise.allSettled([...this.pendingDurable]);
    try {
      if (this.durability === Durability.Relaxed) await this.waitDurable();
    } finally {
      this.released = true;
      this.readTxn.done();
      await this.env.root.close();
    }
  }

  private assertOpen(): void {
    if (this.released) throw new StorageClosedError();
  }
}

/** Metadata records live in the `meta` database beside the format record, under `app/<key>`. */
function metadataKey(key: string): string {
  return `app/${key}`;
}
