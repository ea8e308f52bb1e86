/**
 * A full check of a node's storage, for after a crash or before trusting a copied data dir:
 * every group's snapshot data and every entry of its log are read from LMDB (not from any
 * cache), so every checksum is verified, a hole anywhere in the log is found, and the log's
 * shape is checked against Raft's rules (terms never decrease; the commit index is not past
 * the log's end). Opening checks only what is cheap (lmdb-environment.ts); this reads it all.
 */
import { entrySizeBytes } from "@flotilla/raft";
import type { GroupReader } from "./lmdb-group-storage.js";
import type { LmdbNodeStorage } from "./lmdb-node-storage.js";
import { StorageCorruptionError } from "./storage-errors.js";

/** What {@link verifyNodeStorage} read of one group. */
export interface GroupVerification {
  readonly groupId: string;
  /** The snapshot's index (0: none). */
  readonly snapshotIndex: number;
  /** Bytes of snapshot data read and checked. */
  readonly snapshotBytes: number;
  /** The first and last index of the log (`lastIndex < firstIndex`: empty). */
  readonly firstIndex: number;
  readonly lastIndex: number;
  /** The hard state's commit index. */
  readonly commitIndex: number;
  /** Entries read and checked: `lastIndex - firstIndex + 1`. */
  readonly entries: number;
  /** Their total size (as the core counts it). */
  readonly entryBytes: number;
}

/** What {@link verifyNodeStorage} read, one report per group, in group id order. */
export interface StorageVerification {
  readonly groups: readonly GroupVerification[];
}

/** How many bytes of entries one read asks for: bounded memory on a long log. */
const PAGE_BYTES = 4 * 1024 * 1024;

/**
 * Reads every record of every group of `storage` and checks it.
 *
 * @example
 * const storage = await LmdbNodeStorage.open(dataDir);
 * const { groups } = verifyNodeStorage(storage); // throws on the first damaged record
 * await storage.close();
 *
 * @throws {StorageCorruptionError} for the first record that fails its checksum, does not
 *   decode, is missing (a hole), or breaks the log's shape.
 * @throws {StorageClosedError} when the storage is closed.
 */
export function verifyNodeStorage(storage: LmdbNodeStorage): StorageVerification {
  const groups = storage
    .groupIds()
    .sort()
    .map((groupId) => verifyGroup(storage, groupId));
  return { groups };
}

function verifyGroup(storage: LmdbNodeStorage, groupId: string): GroupVerification {
  const group = storage.group(groupId);
  if (group === undefined) throw new StorageCorruptionError(groupId, "log head", "missing");
  const summary = group.summary();
  const snapshot = group.snapshot();
  const firstIndex = group.firstIndex();
  const lastIndex = group.lastIndex();
  const { hardState } = group.initialState();
  if (hardState.commitIndex > lastIndex) {
    throw new StorageCorruptionError(
      groupId,
      "hard state",
      `commit index ${hardState.commitIndex} is past the log's end ${lastIndex}`,
    );
  }
  if (summary.headIndex > snapshot.metadata.index) {
    throw new StorageCorruptionError(groupId, "log head", "past the snapshot");
  }
  const { entries, entryBytes, lastTerm } = readLog(
    storage,
    groupId,
    firstIndex,
    lastIndex,
    summary.headTerm,
  );
  if (lastTerm !== summary.lastTerm) {
    throw new StorageCorruptionError(
      groupId,
      `entry ${lastIndex}`,
      `term ${lastTerm}, but the summary loaded at open says ${summary.lastTerm}`,
    );
  }
  return {
    groupId,
    snapshotIndex: snapshot.metadata.index,
    snapshotBytes: snapshot.data.byteLength,
    firstIndex,
    lastIndex,
    commitIndex: hardState.commitIndex,
    entries,
    entryBytes,
  };
}

/** Reads `[firstIndex, lastIndex]` page by page, straight from LMDB. */
function readLog(
  reader: GroupReader,
  groupId: string,
  firstIndex: number,
  lastIndex: number,
  headTerm: number,
): { entries: number; entryBytes: number; lastTerm: number } {
  let next = firstIndex;
  let previousTerm = headTerm;
  let entryBytes = 0;
  // Bounded: every page holds at least one entry, so at most lastIndex - firstIndex + 1 pages.
  while (next <= lastIndex) {
    // readEntries throws on a hole, a bad checksum or a value that does not decode.
    const page = reader.readEntries(groupId, next, lastIndex + 1, PAGE_BYTES);
    for (const entry of page) {
      if (entry.index !== next) {
        throw new StorageCorruptionError(groupId, `entry ${next}`, `found ${entry.index}`);
      }
      // Raft's Log Matching rests on this: a log's terms never decrease (Raft §5.3).
      if (entry.term < previousTerm) {
        throw new StorageCorruptionError(
          groupId,
          `entry ${entry.index}`,
          `term ${entry.term} is below the previous term ${previousTerm}`,
        );
      }
      previousTerm = entry.term;
      entryBytes += entrySizeBytes(entry);
      next++;
    }
  }
  return { entries: Math.max(0, lastIndex - firstIndex + 1), entryBytes, lastTerm: previousTerm };
}
