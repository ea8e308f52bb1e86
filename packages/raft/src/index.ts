/**
 * @flotilla/raft — the pure Raft core. The public surface is this explicit list.
 */
export { Raft, type RaftStatus } from "./raft.js";
export type { ForgetLeaderCampaign } from "./quiescence.js";
export {
  ProposalForwarding,
  ReadMode,
  resolveRaftConfig,
  type RaftConfig,
  type ResolvedRaftConfig,
} from "./raft-config.js";
export { Role, type Ready, type ReadState, type SoftState } from "./ready.js";
export { Rejection, type CommandOutcome, type ProposeOutcome } from "./outcome.js";
export {
  EntryType,
  entriesSizeBytes,
  entrySizeBytes,
  type ConfigEntry,
  type Entry,
  type NoopEntry,
  type NormalEntry,
} from "./entry.js";
export { EMPTY_HARD_STATE, hardStateEquals, type HardState } from "./hard-state.js";
export { ID_PATTERN, isValidId, nodeId, type NodeId } from "./ids.js";
export {
  allMembers,
  allVoters,
  applyMembershipChange,
  isJoint,
  isVoter,
  membershipOf,
  planChange,
  type Membership,
  type MembershipChange,
  type NodeChange,
} from "./membership.js";
export {
  isPriorityMessage,
  MESSAGE_TYPES,
  type AppendEntries,
  type AppendEntriesResult,
  type ForwardedProposal,
  type Heartbeat,
  type HeartbeatResult,
  type InstallSnapshot,
  type Message,
  type MessageType,
  type ReadIndexRequest,
  type ReadIndexResponse,
  type RequestVote,
  type RequestVoteResult,
  type TimeoutNow,
} from "./message.js";
export type { Snapshot, SnapshotMetadata } from "./snapshot.js";
export type { InitialState, RaftStorage } from "./storage.js";
export { MemoryStorage } from "./memory-storage.js";
export { contextKey } from "./read-only.js";
export { SeededRandom, type RandomSource } from "./seeded-random.js";
export { AssertionError, assert } from "./assert.js";
export { StorageInconsistencyError } from "./storage-inconsistency-error.js";
export {
  majorityCommitted,
  jointCommitted,
  majorityVote,
  jointVote,
  type VoteResult,
} from "./quorum.js";
