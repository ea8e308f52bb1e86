/**
 * What `FlotillaNode.start` takes: the injected I/O (storage, transport, clock, logger) and the
 * node's named bounds, each with its default and its overflow behaviour.
 */
import { pino, type Logger } from "pino";
import type { NodeStorage } from "./node-storage.js";
import { SystemClock, type Clock } from "./clock.js";
import type { Transport } from "./transport.js";

/** Options of a node. Every bound has a name, a default and a stated overflow behaviour. */
export interface FlotillaNodeOptions {
  /** This node's id (`[A-Za-z0-9_-]{1,64}`); `InvalidIdError` otherwise. */
  readonly nodeId: string;
  /** Every group's storage on this node; closed by `stop()`. */
  readonly storage: NodeStorage;
  /** The node's endpoint on the network. */
  readonly transport: Transport;
  /** The source of time (default: the system clock). */
  readonly clock?: Clock;
  /** A pino logger; the node logs through `logger.child({ nodeId })` (default: silent). */
  readonly logger?: Logger;
  /** Milliseconds per Raft tick, driven by the node's single timer (default 100). */
  readonly tickIntervalMs?: number;
  /** Ticks before a follower campaigns (default 10). */
  readonly electionTicks?: number;
  /** Ticks between a leader's heartbeats (default 1). */
  readonly heartbeatTicks?: number;
  /**
   * Inputs queued per replica between rounds (default 4096). Past it the newest Raft message
   * is dropped (Raft tolerates loss) and a proposal or read rejects with `OverloadedError`.
   */
  readonly mailboxMessagesMax?: number;
  /** Proposals pending per group (default 1024); past it `propose` rejects `OverloadedError`. */
  readonly pendingProposalsPerGroupMax?: number;
  /** Proposals pending on the node (default 65536); past it `OverloadedError`. */
  readonly pendingProposalsPerNodeMax?: number;
  /** Default timeout of a proposal or read (default 10000 ms) → `ProposalTimeoutError`. */
  readonly proposalTimeoutMs?: number;
  /** Events queued per `committed$` subscriber (default 8192) → `SubscriberLagError`. */
  readonly committedBufferMax?: number;
  /** Command size bound in bytes (default 1 MiB) → `TooLargeError`. */
  readonly commandBytesMax?: number;
  /**
   * After this replica loses leadership, its proposals still wait this long for a certain
   * outcome (their entry applies: the result; another entry at their index applies:
   * `ProposalDroppedError`), then reject with `ProposalOutcomeUnknownError` (default two
   * election timeouts). Their own timeout still applies.
   */
  readonly deposedProposalGraceMs?: number;
  /**
   * Applied entries since a group's last snapshot past which its replica snapshots its state
   * machine and compacts its log (default 10000), once the commands applied since then also
   * reach half the last snapshot's size (so a large state is not re-encoded every few thousand
   * small entries). Snapshots are stored in the background, at most one in flight per group.
   */
  readonly snapshotEntriesThreshold?: number;
  /** Applied command bytes since a group's last snapshot that trigger one (default 64 MiB). */
  readonly snapshotBytesThreshold?: number;
  /**
   * Entries kept below a snapshot when the log is compacted (default 1000), so a slightly
   * lagging follower catches up from the log rather than through a snapshot.
   */
  readonly compactionTrailingEntries?: number;
  /**
   * Every this many milliseconds the node sheds leaderships above its fair share by transfer
   * (`node.rebalance()`), so leadership spreads evenly by itself, e.g. after a node returns.
   * 0 (the default) turns it off.
   */
  readonly leaderBalanceIntervalMs?: number;
  /** Seeds each replica's election jitter (default derived from the node and group ids). */
  readonly randomSeed?: number;
}

/** Options with defaults filled in. */
export type ResolvedNodeOptions = Required<Omit<FlotillaNodeOptions, "randomSeed">> & {
  readonly randomSeed: number | undefined;
};

/** Fills in the defaults. */
export function resolveOptions(options: FlotillaNodeOptions): ResolvedNodeOptions {
  return {
    nodeId: options.nodeId,
    storage: options.storage,
    transport: options.transport,
    clock: options.clock ?? new SystemClock(),
    logger: options.logger ?? pino({ enabled: false }),
    tickIntervalMs: options.tickIntervalMs ?? 100,
    electionTicks: options.electionTicks ?? 10,
    heartbeatTicks: options.heartbeatTicks ?? 1,
    mailboxMessagesMax: options.mailboxMessagesMax ?? 4096,
    pendingProposalsPerGroupMax: options.pendingProposalsPerGroupMax ?? 1024,
    pendingProposalsPerNodeMax: options.pendingProposalsPerNodeMax ?? 65536,
    proposalTimeoutMs: options.proposalTimeoutMs ?? 10_000,
    committedBufferMax: options.committedBufferMax ?? 8192,
    commandBytesMax: options.commandBytesMax ?? 1024 * 1024,
    deposedProposalGraceMs:
      options.deposedProposalGraceMs ??
      2 * (options.electionTicks ?? 10) * (options.tickIntervalMs ?? 100),
    snapshotEntriesThreshold: options.snapshotEntriesThreshold ?? 10_000,
    snapshotBytesThreshold: options.snapshotBytesThreshold ?? 64 * 1024 * 1024,
    compactionTrailingEntries: options.compactionTrailingEntries ?? 1000,
    leaderBalanceIntervalMs: options.leaderBalanceIntervalMs ?? 0,
    randomSeed: options.randomSeed,
  };
}

/** A per-replica seed: FNV-1a over `nodeId/groupId`, mixed with the node's seed if any. */
export function replicaSeed(nodeId: string, groupId: string, seed: number | undefined): number {
  let hash = 0x811c9dc5;
  for (const char of `${nodeId}/${groupId}`) {
    hash = Math.imul(hash ^ (char.codePointAt(0) ?? 0), 0x01000193) >>> 0;
  }
  return (hash ^ (seed ?? 0)) >>> 0;
}
