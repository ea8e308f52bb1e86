/**
 * Configuration of one replica's core. Time is counted in ticks; the host decides how long a
 * tick is (`tickIntervalMs` lives in the runtime, not here).
 */
import type { NodeId } from "./ids.js";
import type { RandomSource } from "./seeded-random.js";
import type { RaftStorage } from "./storage.js";

/** How ReadIndex confirms leadership (dissertation §6.4). */
export const ReadMode = {
  /** A heartbeat round with a quorum confirms leadership for each read batch. */
  Safe: "safe",
  /** Rely on the leader lease (needs `checkQuorum`); assumes bounded clock drift. */
  Lease: "lease",
} as const;
export type ReadMode = (typeof ReadMode)[keyof typeof ReadMode];

/** What a follower does with a local proposal. */
export const ProposalForwarding = {
  /** Forward it to the leader (dissertation §6.2); the outcome is learnt by watching the log. */
  Forward: "forward",
  /** Reject it with a leader hint, so the caller re-routes. */
  Reject: "reject",
} as const;
export type ProposalForwarding = (typeof ProposalForwarding)[keyof typeof ProposalForwarding];

/** Everything a {@link Raft} needs. */
export interface RaftConfig {
  /** This replica's node id. */
  readonly id: NodeId;
  /** Stable storage, already holding whatever was persisted before a restart. */
  readonly storage: RaftStorage;
  /** The only source of randomness (election timeout jitter). */
  readonly random: RandomSource;
  /**
   * Ticks without hearing from a leader before campaigning. The actual timeout is drawn from
   * `[electionTicks, 2 * electionTicks)` after every reset (Raft §5.2). Must exceed
   * `heartbeatTicks`.
   */
  readonly electionTicks?: number;
  /** Ticks between a leader's heartbeats. */
  readonly heartbeatTicks?: number;
  /** Run a PreVote round before a real election (dissertation §9.6). */
  readonly preVote?: boolean;
  /**
   * A leader steps down after an election timeout without hearing from a quorum, and followers
   * that heard from a leader within the election timeout ignore vote requests (§6.2, §9.6).
   */
  readonly checkQuorum?: boolean;
  /** How ReadIndex confirms leadership. `lease` requires `checkQuorum`. */
  readonly readMode?: ReadMode;
  /** At most this many AppendEntries in flight to one follower (flow control). */
  readonly inflightMessagesMax?: number;
  /** At most this many bytes of entries in one AppendEntries (the first entry always goes). */
  readonly batchBytesMax?: number;
  /** Past this many bytes of uncommitted entries, proposals are rejected as overloaded. */
  readonly uncommittedBytesMax?: number;
  /** What a follower does with a proposal. */
  readonly proposalForwarding?: ProposalForwarding;
  /**
   * The last index the state machine applied before a restart (it restored a snapshot at or
   * after the storage's). Committed entries after it are handed out again. Defaults to the
   * storage's snapshot index.
   */
  readonly appliedIndex?: number;
}

/** {@link RaftConfig} with every default filled in. */
export type ResolvedRaftConfig = Required<Omit<RaftConfig, "appliedIndex">> & {
  readonly appliedIndex: number | undefined;
};

/** Fills in defaults and checks bounds. @throws {RangeError} on an invalid setting. */
export function resolveRaftConfig(config: RaftConfig): ResolvedRaftConfig {
  const resolved: ResolvedRaftConfig = {
    id: config.id,
    storage: config.storage,
    random: config.random,
    electionTicks: config.electionTicks ?? 10,
    heartbeatTicks: config.heartbeatTicks ?? 1,
    preVote: config.preVote ?? true,
    checkQuorum: config.checkQuorum ?? true,
    readMode: config.readMode ?? ReadMode.Safe,
    inflightMessagesMax: config.inflightMessagesMax ?? 64,
    batchBytesMax: config.batchBytesMax ?? 256 * 1024,
    uncommittedBytesMax: config.uncommittedBytesMax ?? 64 * 1024 * 1024,
    proposalForwarding: config.proposalForwarding ?? ProposalForwarding.Forward,
    appliedIndex: config.appliedIndex,
  };
  if (!(resolved.heartbeatTicks >= 1)) throw new RangeError("heartbeatTicks must be >= 1");
  if (!(resolved.electionTicks > resolved.heartbeatTicks)) {
    throw new RangeError("electionTicks must exceed heartbeatTicks");
  }
  if (!(resolved.inflightMessagesMax >= 1))
    throw new RangeError("inflightMessagesMax must be >= 1");
  if (!(resolved.batchBytesMax >= 1)) throw new RangeError("batchBytesMax must be >= 1");
  if (resolved.readMode === ReadMode.Lease && !resolved.checkQuorum) {
    throw new RangeError("readMode 'lease' requires checkQuorum");
  }
  return resolved;
}
