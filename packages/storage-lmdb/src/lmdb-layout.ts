/**
 * The on-disk layout of a node's LMDB environment: which named databases exist, how their keys
 * are built, and the format version that guards them. Keys sort by (groupId, index) through
 * lmdb-js's ordered-binary array keys, so one group's log is one contiguous key range.
 */
import type { Database, Key, RootDatabase } from "lmdb";

/**
 * The storage format this code reads and writes. Bump it (and add a migration or a refusal)
 * whenever a key or value encoding changes.
 */
export const FORMAT_VERSION = 1;

/** Key of the format record in the `meta` database. */
export const FORMAT_KEY = "format";

/** The named databases, by role. */
export const DatabaseName = {
  /** `"format"` → `{ formatVersion }`. */
  Meta: "meta",
  /** `groupId` → log head `{ index, term }`; a group exists iff it has a log head. */
  LogHeads: "log-heads",
  /** `groupId` → hard state. */
  HardStates: "hard-states",
  /** `groupId` → snapshot metadata with its data's size and chunk count. */
  SnapshotMetas: "snapshot-metas",
  /** `[groupId, chunk]` → one ≤ 1 MiB chunk of snapshot data. */
  SnapshotChunks: "snapshot-chunks",
  /** `[groupId, index]` → one log entry. */
  Entries: "entries",
} as const;
export type DatabaseName = (typeof DatabaseName)[keyof typeof DatabaseName];

/** Every named database. */
export const DATABASE_NAMES: readonly DatabaseName[] = Object.values(DatabaseName);

/** The largest snapshot chunk stored in one value. */
export const SNAPSHOT_CHUNK_BYTES_MAX = 1024 * 1024;

/** The open named databases; values are raw bytes (the codec is ours, see record-codec.ts). */
export interface Databases {
  readonly meta: Database<Uint8Array, Key>;
  readonly logHeads: Database<Uint8Array, Key>;
  readonly hardStates: Database<Uint8Array, Key>;
  readonly snapshotMetas: Database<Uint8Array, Key>;
  readonly snapshotChunks: Database<Uint8Array, Key>;
  readonly entries: Database<Uint8Array, Key>;
}

/** Opens (creating when missing) every named database of `root`. */
export function openDatabases(root: RootDatabase<Uint8Array, Key>): Databases {
  const openOne = (name: DatabaseName): Database<Uint8Array, Key> =>
    root.openDB<Uint8Array, Key>(name, {
      encoding: "binary",
      keyEncoding: "ordered-binary",
      cache: false,
      compression: false,
      useVersions: false,
      dupSort: false,
    });
  return {
    meta: openOne(DatabaseName.Meta),
    logHeads: openOne(DatabaseName.LogHeads),
    hardStates: openOne(DatabaseName.HardStates),
    snapshotMetas: openOne(DatabaseName.SnapshotMetas),
    snapshotChunks: openOne(DatabaseName.SnapshotChunks),
    entries: openOne(DatabaseName.Entries),
  };
}

/** The key of entry `index` of `groupId`. */
export function entryKey(groupId: string, index: number): Key {
  return [groupId, index];
}

/** The key of snapshot chunk `chunk` of `groupId`. */
export function chunkKey(groupId: string, chunk: number): Key {
  return [groupId, chunk];
}

/** The index (or chunk number) of a `[groupId, n]` key of `groupId`, or undefined. */
export function keyNumber(groupId: string, key: Key): number | undefined {
  if (!Array.isArray(key) || key.length !== 2 || key[0] !== groupId) return undefined;
  const n = key[1];
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** Above every index: the exclusive end of a group's key range. */
export const INDEX_END = Number.MAX_SAFE_INTEGER;
