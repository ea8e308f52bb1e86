/**
 * @flotilla/runtime — the node runtime: replicas as actors, rounds with group commit and
 * coalesced sends, and the RxJS API. The public surface is this explicit list.
 */
export {
  FlotillaNode,
  type GroupOptions,
  type LeadershipEvent,
  type NodeStats,
} from "./flotilla-node.js";
export type { FlotillaNodeOptions } from "./node-options.js";
export {
  Durability,
  type GroupBootstrap,
  type GroupStorage,
  type GroupWrite,
  type NodeStorage,
} from "./node-storage.js";
export type { Group, RequestOptions } from "./group.js";
export type { AppliedBatch, LeaderInfo, ReplicaStatus } from "./replica.js";
export { readCommittedPage, type CommittedPage, type PageBound } from "./committed-page.js";
export {
  planLeaderTransfers,
  type LeadershipView,
  type PlannedTransfer,
} from "./leader-balance.js";
export type { CommittedEvent, CommittedOptions } from "./committed-feed.js";
export type { LeaderWork, LeaderWorkContext } from "./leader-workers.js";
export {
  bytesCodec,
  jsonCodec,
  type AppliedEntry,
  type Codec,
  type StateMachine,
} from "./state-machine.js";
export { SystemClock, type Clock, type TimerHandle } from "./clock.js";
export { ManualClock } from "./manual-clock.js";
export type { GroupMessage, RaftBatch, Transport, Unsubscribe } from "./transport.js";
export { InMemoryNetwork } from "./in-memory-network.js";
export { ErrorCode, FlotillaError, isFlotillaError } from "./errors/flotilla-error.js";
export {
  commandBytes,
  decodeFrame,
  encodePlain,
  encodeSession,
  type CommandFrame,
  type SessionHeader,
} from "./sessions/command-envelope.js";
export {
  BadRequestError,
  CommandFailedError,
  GroupNotFoundError,
  MembershipChangeRefusedError,
  isMembershipChangeRefusedError,
  InvalidIdError,
  NotLeaderError,
  OverloadedError,
  ProposalDroppedError,
  ProposalOutcomeUnknownError,
  ProposalTimeoutError,
  StoppedError,
  SubscriberLagError,
  TooLargeError,
  isBadRequestError,
  isCommandFailedError,
  isGroupNotFoundError,
  isInvalidIdError,
  isNotLeaderError,
  isOverloadedError,
  isProposalDroppedError,
  isProposalOutcomeUnknownError,
  isProposalTimeoutError,
  isStoppedError,
  isSubscriberLagError,
  isTooLargeError,
} from "./errors/errors.js";
export { fnv1a32 } from "./fnv1a.js";
