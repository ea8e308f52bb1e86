/**
 * Opens a node's LMDB environment with every setting spelled out, refuses a directory from an
 * unknown format version (or another program), and loads each group's summary. The settings
 * are the durability design of ADR 0003: `overlappingSync` off, so a commit returns only after
 * LMDB's fdatasync of the data and its synchronous meta-page write; `noMetaSync` only for
 * relaxed durability; never `noSync`, whose crash can corrupt the file.
 */
import { mkdirSync } from "node:fs";
import { open, type Key, type RootDatabase, type Transaction } from "lmdb";
import {
  decodeEntry,
  decodeFormatVersion,
  decodeHardState,
  decodeLogHead,
  decodeSnapshotMetadata,
  encodeFormatRecord,
} from "./record-codec.js";
import {
  DATABASE_NAMES,
  FORMAT_KEY,
  FORMAT_VERSION,
  INDEX_END,
  keyNumber,
  openDatabases,
  type Databases,
} from "./lmdb-layout.js";
import type { Durability } from "@flotilla/runtime";
import type { SnapshotLayout } from "./lmdb-group-storage.js";
import type { GroupSummary } from "./write-plan.js";
import { checkDataFile } from "./data-file-check.js";
import { StorageCorruptionError, StorageFormatVersionError } from "./storage-errors.js";

/** The initial memory map; lmdb-js doubles it whenever a transaction needs more. */
export const DEFAULT_MAP_SIZE_BYTES = 256 * 1024 * 1024;

/** lmdb-js's forced `mdb_env_sync`, which its type declarations leave out. */
export interface SyncableRoot {
  sync(callback: (error: unknown) => void): void;
}

/** An open environment. */
export interface Environment {
  readonly root: RootDatabase<Uint8Array, Key>;
  readonly syncable: SyncableRoot;
  readonly dbs: Databases;
}

/** A group as loaded at open. */
export interface LoadedGroup {
  readonly summary: GroupSummary;
  readonly layout: SnapshotLayout;
}

function isSyncable(root: unknown): root is SyncableRoot {
  return typeof (root as { sync?: unknown }).sync === "function";
}

/**
 * Opens the environment in the directory `path` (created if missing) and checks its format.
 *
 * @throws {StorageFormatVersionError} for an unknown format or a foreign environment.
 * @throws {StorageCorruptionError} for a `data.mdb` that is not an LMDB file or is cut short.
 */
export async function openEnvironment(
  path: string,
  durability: Durability,
  mapSizeBytes: number,
): Promise<Environment> {
  mkdirSync(path, { recursive: true });
  // Before LMDB maps it: lmdb-js crashes the process on a file that is not LMDB's.
  checkDataFile(path);
  const root = open<Uint8Array, Key>({
    path,
    // A directory even when its name has a dot in it (lmdb-js would take it for a file name).
    noSubdir: false,
    maxDbs: DATABASE_NAMES.length + 2,
    mapSize: mapSizeBytes,
    encoding: "binary",
    cache: false,
    compression: false,
    // Every commit: data fdatasync'ed, then the meta page written synchronously (ADR 0003).
    overlappingSync: false,
    noSync: false,
    noMetaSync: durability === "relaxed",
    useWritemap: false,
    // Off: each batch is one explicit childTransaction anyway, and with event-turn batching
    // lmdb-js 3.5.6 leaves the batch's own commit promise unhandled, so a failed commit (a full
    // disk) would crash the process with an unhandled rejection.
    eventTurnBatching: false,
    commitDelay: 0,
    readOnly: false,
  });
  try {
    if (!isSyncable(root)) throw new Error("lmdb-js no longer offers sync(callback)");
    const names = [...root.getKeys({})];
    if (!names.every((name) => (DATABASE_NAMES as readonly unknown[]).includes(name))) {
      throw new StorageFormatVersionError(path, undefined, FORMAT_VERSION);
    }
    const dbs = openDatabases(root);
    await checkFormat(path, root, dbs);
    return { root, syncable: root, dbs };
  } catch (error) {
    await root.close();
    throw error;
  }
}

async function checkFormat(
  path: string,
  root: RootDatabase<Uint8Array, Key>,
  dbs: Databases,
): Promise<void> {
  const record = dbs.meta.get(FORMAT_KEY);
  if (record !== undefined) {
    const version = decodeFormatVersion(record);
    if (version !== FORMAT_VERSION)
      throw new StorageFormatVersionError(path, version, FORMAT_VERSION);
    return;
  }
  const hasData = [
    dbs.logHeads,
    dbs.hardStates,
    dbs.snapshotMetas,
    dbs.snapshotChunks,
    dbs.entries,
    dbs.meta,
  ].some((db) => [...db.getKeys({ limit: 1 })].length > 0);
  if (hasData) throw new StorageFormatVersionError(path, undefined, FORMAT_VERSION);
  // A fresh directory (or one whose first open crashed before this record): claim it.
  await root.childTransaction(() => {
    dbs.meta.putSync(FORMAT_KEY, encodeFormatRecord(FORMAT_VERSION));
  });
  await root.flushed;
}

/**
 * Loads every group's summary in one short read transaction, checking what can be checked
 * cheaply: each group has all its records, no entry lies at or below the log head, the entry
 * after the head is present, and the head is not past the snapshot.
 *
 * @throws {StorageCorruptionError} when a record is missing or damaged.
 */
export function loadGroups(
  root: RootDatabase<Uint8Array, Key>,
  dbs: Databases,
): Map<string, LoadedGroup> {
  const transaction = root.useReadTransaction();
  try {
    const groups = new Map<string, LoadedGroup>();
    for (const { key, value } of dbs.logHeads.getRange({ transaction })) {
      if (typeof key !== "string")
        throw new StorageCorruptionError(undefined, "log heads", "a key is not a group id");
      groups.set(key, loadGroup(key, value, dbs, transaction));
    }
    return groups;
  } finally {
    transaction.done();
  }
}

function loadGroup(
  groupId: string,
  headBytes: Uint8Array,
  dbs: Databases,
  transaction: Transaction,
): LoadedGroup {
  const missing = (record: string): StorageCorruptionError =>
    new StorageCorruptionError(groupId, record, "missing");
  const head = decodeLogHead(groupId, headBytes);
  const hardStateBytes = dbs.hardStates.get(groupId, { transaction });
  if (hardStateBytes === undefined) throw missing("hard state");
  const metaBytes = dbs.snapshotMetas.get(groupId, { transaction });
  if (metaBytes === undefined) throw missing("snapshot metadata");
  const { dataBytes, chunkCount, ...snapshot } = decodeSnapshotMetadata(groupId, metaBytes);
  if (head.index > snapshot.index) {
    throw new StorageCorruptionError(
      groupId,
      "log head",
      `head ${head.index} is past the snapshot at ${snapshot.index}`,
    );
  }
  let lastIndex = head.index;
  let lastTerm = head.term;
  for (const { key, value } of dbs.entries.getRange({
    start: [groupId, INDEX_END],
    end: [groupId, head.index],
    reverse: true,
    limit: 1,
    transaction,
  })) {
    const index = keyNumber(groupId, key);
    if (index === undefined)
      throw new StorageCorruptionError(groupId, "entries", "a key is malformed");
    lastIndex = index;
    lastTerm = decodeEntry(groupId, index, value).term;
  }
  for (const { key } of dbs.entries.getRange({
    start: [groupId, 0],
    end: [groupId, INDEX_END],
    limit: 1,
    transaction,
  })) {
    const first = keyNumber(groupId, key);
    if (first !== head.index + 1) {
      throw new StorageCorruptionError(
        groupId,
        `entry ${head.index + 1}`,
        `the log starts at ${String(first)} instead`,
      );
    }
  }
  return {
    summary: {
      headIndex: head.index,
      headTerm: head.term,
      lastIndex,
      lastTerm,
      hardState: decodeHardState(groupId, hardStateBytes),
      snapshot,
    },
    layout: { dataBytes, chunkCount },
  };
}
