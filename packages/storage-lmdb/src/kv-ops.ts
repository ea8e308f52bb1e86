/**
 * Turns a write plan into the puts and deletes of one LMDB transaction, encoding every value
 * before the transaction starts (so the write lock is held only for the copying). Snapshot data
 * is cut into chunks of at most 1 MiB, so a snapshot of hundreds of megabytes is many ordinary
 * values rather than one huge one; chunks left over from a larger previous snapshot are deleted.
 */
import type { Database, Key } from "lmdb";
import {
  encodeEntry,
  encodeHardState,
  encodeLogHead,
  encodeSnapshotChunk,
  encodeSnapshotMetadata,
} from "./record-codec.js";
import type { SnapshotLayout } from "./lmdb-group-storage.js";
import { chunkKey, entryKey, type Databases } from "./lmdb-layout.js";
import type { PlannedOp } from "./write-plan.js";
import type { Snapshot } from "@flotilla/raft";

/** One put (`value` set) or delete (`value` undefined). */
export interface KvOp {
  readonly db: Database<Uint8Array, Key>;
  readonly key: Key;
  readonly value: Uint8Array | undefined;
}

/** The encoded operations, and each touched group's snapshot layout after them. */
export interface EncodedPlan {
  readonly ops: KvOp[];
  readonly layouts: Map<string, SnapshotLayout>;
}

const EMPTY_LAYOUT: SnapshotLayout = { dataBytes: 0, chunkCount: 0 };

/**
 * Encodes `planned` against `dbs`. `committedLayout` gives a group's snapshot layout before the
 * batch (to delete stale chunks).
 */
export function encodePlan(
  planned: readonly PlannedOp[],
  dbs: Databases,
  committedLayout: (groupId: string) => SnapshotLayout,
  chunkBytes: number,
): EncodedPlan {
  const ops: KvOp[] = [];
  const layouts = new Map<string, SnapshotLayout>();
  const layoutOf = (groupId: string): SnapshotLayout =>
    layouts.get(groupId) ?? committedLayout(groupId);
  const put = (db: Database<Uint8Array, Key>, key: Key, value: Uint8Array): void => {
    ops.push({ db, key, value });
  };
  const del = (db: Database<Uint8Array, Key>, key: Key): void => {
    ops.push({ db, key, value: undefined });
  };
  const deleteEntries = (groupId: string, fromIndex: number, toIndex: number): void => {
    for (let index = fromIndex; index <= toIndex; index++)
      del(dbs.entries, entryKey(groupId, index));
  };

  for (const op of planned) {
    const { groupId } = op;
    switch (op.type) {
      case "create-group": {
        const { summary } = op;
        put(
          dbs.logHeads,
          groupId,
          encodeLogHead({ index: summary.headIndex, term: summary.headTerm }),
        );
        put(dbs.hardStates, groupId, encodeHardState(summary.hardState));
        put(
          dbs.snapshotMetas,
          groupId,
          encodeSnapshotMetadata({ ...summary.snapshot, ...EMPTY_LAYOUT }),
        );
        layouts.set(groupId, EMPTY_LAYOUT);
        break;
      }
      case "remove-group": {
        const { summary } = op;
        deleteEntries(groupId, summary.headIndex + 1, summary.lastIndex);
        const layout = layoutOf(groupId);
        for (let chunk = 0; chunk < layout.chunkCount; chunk++) {
          del(dbs.snapshotChunks, chunkKey(groupId, chunk));
        }
        del(dbs.logHeads, groupId);
        del(dbs.hardStates, groupId);
        del(dbs.snapshotMetas, groupId);
        layouts.set(groupId, EMPTY_LAYOUT);
        break;
      }
      case "put-entries":
        for (const entry of op.entries)
          put(dbs.entries, entryKey(groupId, entry.index), encodeEntry(entry));
        break;
      case "delete-entries":
        deleteEntries(groupId, op.fromIndex, op.toIndex);
        break;
      case "put-hard-state":
        put(dbs.hardStates, groupId, encodeHardState(op.hardState));
        break;
      case "put-log-head":
        put(dbs.logHeads, groupId, encodeLogHead({ index: op.index, term: op.term }));
        break;
      case "put-snapshot":
        layouts.set(
          groupId,
          putSnapshot(groupId, op.snapshot, layoutOf(groupId), chunkBytes, dbs, ops),
        );
        break;
    }
  }
  return { ops, layouts };
}

function putSnapshot(
  groupId: string,
  snapshot: Snapshot,
  previous: SnapshotLayout,
  chunkBytes: number,
  dbs: Databases,
  ops: KvOp[],
): SnapshotLayout {
  const { data } = snapshot;
  const chunkCount = Math.ceil(data.byteLength / chunkBytes);
  for (let chunk = 0; chunk < chunkCount; chunk++) {
    const bytes = data.subarray(
      chunk * chunkBytes,
      Math.min(data.byteLength, (chunk + 1) * chunkBytes),
    );
    ops.push({
      db: dbs.snapshotChunks,
      key: chunkKey(groupId, chunk),
      value: encodeSnapshotChunk(bytes),
    });
  }
  for (let chunk = chunkCount; chunk < previous.chunkCount; chunk++) {
    ops.push({ db: dbs.snapshotChunks, key: chunkKey(groupId, chunk), value: undefined });
  }
  const layout = { dataBytes: data.byteLength, chunkCount };
  ops.push({
    db: dbs.snapshotMetas,
    key: groupId,
    value: encodeSnapshotMetadata({ ...snapshot.metadata, ...layout }),
  });
  return layout;
}
