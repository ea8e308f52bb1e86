/**
 * Everything a reader can observe of a group or a node's storage, as plain data, so two
 * storages (or one before and after a reopen) compare with one `toEqual`.
 */
import type { Entry, InitialState, RaftStorage, SnapshotMetadata } from "@flotilla/raft";
import type { NodeStorage } from "../../src/index.js";

/** One group's observable state. */
export interface GroupView {
  readonly firstIndex: number;
  readonly lastIndex: number;
  /** term(i) for i from firstIndex - 2 to lastIndex + 1 (the ends answer undefined). */
  readonly terms: (number | undefined)[];
  readonly entries: Entry[];
  readonly initialState: InitialState;
  readonly snapshot: { readonly metadata: SnapshotMetadata; readonly data: number[] };
}

/** Reads every observable fact of `storage`. */
export function observeGroup(storage: RaftStorage): GroupView {
  const firstIndex = storage.firstIndex();
  const lastIndex = storage.lastIndex();
  const terms: (number | undefined)[] = [];
  for (let index = Math.max(0, firstIndex - 2); index <= lastIndex + 1; index++) {
    terms.push(storage.term(index));
  }
  const snapshot = storage.snapshot();
  return {
    firstIndex,
    lastIndex,
    terms,
    entries: storage.entries(firstIndex, lastIndex + 1, Number.POSITIVE_INFINITY).map(plainEntry),
    initialState: storage.initialState(),
    snapshot: { metadata: snapshot.metadata, data: [...snapshot.data] },
  };
}

/** Every group of a node, by id. */
export function observeNode(storage: NodeStorage): Record<string, GroupView> {
  const view: Record<string, GroupView> = {};
  for (const groupId of storage.groupIds().sort()) {
    const group = storage.group(groupId);
    if (group !== undefined) view[groupId] = observeGroup(group);
  }
  return view;
}

/** An entry with its data as a number array (Buffer and Uint8Array compare alike then). */
function plainEntry(entry: Entry): Entry {
  return entry.type === "normal" ? { ...entry, data: new Uint8Array(entry.data) } : entry;
}
