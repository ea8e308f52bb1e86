/**
 * The numbers of the wire protocol (docs/protocol.md): its version, and the integer codes of
 * message types, entry kinds and membership changes. Codes are part of the protocol: never
 * renumber one, add new ones at the end and bump {@link PROTOCOL_VERSION}.
 */
import type { MessageType, NodeChange } from "@flotilla/raft";

/** The version every batch and chunk carries first. A receiver drops other versions. */
export const PROTOCOL_VERSION = 1;

/** Wire code of each Raft message type. */
export const MESSAGE_TYPE_CODES: Readonly<Record<MessageType, number>> = {
  RequestVote: 1,
  RequestVoteResult: 2,
  AppendEntries: 3,
  AppendEntriesResult: 4,
  Heartbeat: 5,
  HeartbeatResult: 6,
  InstallSnapshot: 7,
  TimeoutNow: 8,
  ForwardedProposal: 9,
  ReadIndexRequest: 10,
  ReadIndexResponse: 11,
};

/** Wire code of each entry kind. */
export const ENTRY_KIND_CODES = { normal: 0, noop: 1, config: 2 } as const;

/** Wire code of each membership change kind. */
export const CHANGE_KIND_CODES = { simple: 0, "enter-joint": 1, "leave-joint": 2 } as const;

/** Wire code of each node change type. */
export const NODE_CHANGE_CODES: Readonly<Record<NodeChange["type"], number>> = {
  "add-voter": 0,
  "add-learner": 1,
  remove: 2,
};

/** The inverse of a code table: code → name. */
export function invert<K extends string>(
  table: Readonly<Record<K, number>>,
): ReadonlyMap<number, K> {
  return new Map(Object.entries(table).map(([name, code]) => [code as number, name as K]));
}
