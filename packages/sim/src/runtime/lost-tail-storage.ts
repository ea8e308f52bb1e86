/**
 * A damaged disk for one restart: one group's log lost its tail but its state machine snapshot
 * (from which the runtime learns its applied index on restart, `appliedIndex:
 * snapshot.metadata.index` in FlotillaNode.group) survived, so the applied index lies above the
 * log's last index. The replica must refuse to start (`StorageInconsistencyError`) rather than
 * run on and acknowledge entries it no longer holds.
 */
import type { Entry, InitialState, Snapshot } from "@flotilla/raft";
import type { GroupStorage, NodeStorage } from "@flotilla/storage-lmdb";

/** Where the damage is: `groupId`'s log ends at `lastIndex`, below its snapshot's index. */
export interface LostTail {
  readonly groupId: string;
  readonly lastIndex: number;
  /** The snapshot's index (the applied index the host will learn). */
  readonly appliedIndex: number;
}

/** `storage`, except that `tail.groupId`'s log ends at `tail.lastIndex`. */
export function withLostTail(storage: NodeStorage, tail: LostTail): NodeStorage {
  let damaged: GroupStorage | undefined;
  return {
    durability: storage.durability,
    groupIds: () => storage.groupIds(),
    group: (groupId) => {
      const group = storage.group(groupId);
      if (group === undefined || groupId !== tail.groupId) return group;
      // The same object on every call, as the contract asks.
      damaged ??= lostTailGroup(group, tail.lastIndex);
      return damaged;
    },
    createGroups: (groups) => storage.createGroups(groups),
    removeGroups: (groupIds) => storage.removeGroups(groupIds),
    write: (batch) => storage.write(batch),
    createSnapshot: (groupId, index, membership, data) =>
      storage.createSnapshot(groupId, index, membership, data),
    metadata: (key) => storage.metadata(key),
    setMetadata: (key, value) => storage.setMetadata(key, value),
    close: () => storage.close(),
  };
}

function lostTailGroup(group: GroupStorage, lastIndex: number): GroupStorage {
  return {
    groupId: group.groupId,
    initialState: (): InitialState => {
      const state = group.initialState();
      // The hard state's commit index went with the tail (it is only a hint on disk).
      const commitIndex = Math.min(state.hardState.commitIndex, lastIndex);
      return { ...state, hardState: { ...state.hardState, commitIndex } };
    },
    firstIndex: (): number => group.firstIndex(),
    lastIndex: (): number => lastIndex,
    term: (index: number): number | undefined =>
      index > lastIndex && index !== group.snapshot().metadata.index
        ? undefined
        : group.term(index),
    entries: (fromIndex: number, toIndex: number, bytesMax: number): Entry[] =>
      group.entries(fromIndex, Math.min(toIndex, lastIndex + 1), bytesMax),
    snapshot: (): Snapshot => group.snapshot(),
  };
}
