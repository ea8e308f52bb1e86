/**
 * Who leads each of thousands of groups, seen from outside the node processes, through the
 * leadership events every replica publishes on `flotilla.<cluster>.g.<groupId>.events` on each
 * change of its role, term or known leader (docs/protocol.md "Leadership events").
 *
 * Why events and not the control `status` op: `status` answers with every replica of the node in
 * one NATS message; at 10,000 groups that is about 1.5 MB, past nats-server's default
 * `max_payload` (1 MiB), and the node answers `TOO_LARGE`. One wildcard subscription
 * (`g.*.events`) instead sees every change as it happens, each stamped on arrival, which is also
 * what the failover measure needs. It must be open before the nodes elect anyone: a replica
 * publishes on a change only, never its state at rest.
 */
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { decodeWire } from "@flotilla/client";

/** A replica's latest published state. */
export interface ReplicaLeadership {
  readonly role: string;
  readonly term: number;
  readonly leaderId: string | null;
}

/** One event as received: the group, the publishing node, its state, when it arrived. */
export interface LeadershipArrival extends ReplicaLeadership {
  readonly groupId: string;
  readonly nodeId: string;
  /** `performance.now()` at arrival. */
  readonly atMs: number;
}

/** A group's current leader as the events tell it. */
export interface GroupLeader {
  readonly nodeId: string;
  readonly term: number;
}

/** Tracks every group's replicas from their leadership events. */
export class GroupLeaderWatch {
  /** groupId → nodeId → latest state. */
  private readonly replicas = new Map<string, Map<string, ReplicaLeadership>>();
  private readonly listeners = new Set<(arrival: LeadershipArrival) => void>();
  /** Events received, all groups together. */
  eventCount = 0;
  /** Events that failed to decode (never expected; counted rather than thrown). */
  malformedCount = 0;
  /** `performance.now()` of the last event, or of the watch's start. */
  lastEventAtMs = performance.now();

  private subscription: Subscription | undefined;

  private constructor() {}

  /** Subscribes to every group's events of `cluster`; resolves once the server has it. */
  static async start(nc: NatsConnection, cluster: string): Promise<GroupLeaderWatch> {
    const prefix = `flotilla.${cluster}.g.`;
    const watch = new GroupLeaderWatch();
    watch.subscription = nc.subscribe(`${prefix}*.events`, {
      callback: (error, msg) => {
        if (error === null) {
          watch.receive(msg.subject.slice(prefix.length, -".events".length), msg.data);
        }
      },
    });
    // The subscription is registered with the server once a round trip has passed.
    await nc.flush();
    return watch;
  }

  /** Calls `listener` for every event from now on; returns its removal. */
  onEvent(listener: (arrival: LeadershipArrival) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The leader of `groupId`: a replica whose latest event says "leader" in term T while no
   * other replica (outside `excluded`, e.g. a killed node that will never publish again) is in a
   * later term, which would mean an election is under way.
   */
  leaderOf(groupId: string, excluded: ReadonlySet<string> = NO_NODES): GroupLeader | undefined {
    const replicas = this.replicas.get(groupId);
    if (replicas === undefined) return undefined;
    let leader: GroupLeader | undefined;
    let maxTerm = 0;
    for (const [nodeId, state] of replicas) {
      if (excluded.has(nodeId)) continue;
      maxTerm = Math.max(maxTerm, state.term);
      if (state.role === "leader" && (leader === undefined || state.term > leader.term)) {
        leader = { nodeId, term: state.term };
      }
    }
    return leader !== undefined && leader.term >= maxTerm ? leader : undefined;
  }

  /** How many of `groupIds` have a leader (see {@link leaderOf}). */
  ledCount(groupIds: readonly string[], excluded: ReadonlySet<string> = NO_NODES): number {
    let led = 0;
    for (const groupId of groupIds) if (this.leaderOf(groupId, excluded) !== undefined) led++;
    return led;
  }

  /** nodeId → how many of `groupIds` it leads. */
  leaderCounts(groupIds: readonly string[]): Map<string, number> {
    const counts = new Map<string, number>();
    for (const groupId of groupIds) {
      const leader = this.leaderOf(groupId);
      if (leader !== undefined) counts.set(leader.nodeId, (counts.get(leader.nodeId) ?? 0) + 1);
    }
    return counts;
  }

  /** The latest state `nodeId` published for `groupId`. */
  replica(groupId: string, nodeId: string): ReplicaLeadership | undefined {
    return this.replicas.get(groupId)?.get(nodeId);
  }

  close(): void {
    this.subscription?.unsubscribe();
    this.listeners.clear();
  }

  private receive(groupId: string, data: Uint8Array): void {
    const atMs = performance.now();
    let event: Record<string, unknown>;
    try {
      event = decodeWire(data) as Record<string, unknown>;
    } catch {
      this.malformedCount++;
      return;
    }
    const { nodeId, role, term, leaderId } = event;
    if (typeof nodeId !== "string" || typeof role !== "string" || typeof term !== "number") {
      this.malformedCount++;
      return;
    }
    const state: ReplicaLeadership = {
      role,
      term,
      leaderId: typeof leaderId === "string" ? leaderId : null,
    };
    let replicas = this.replicas.get(groupId);
    if (replicas === undefined) {
      replicas = new Map();
      this.replicas.set(groupId, replicas);
    }
    replicas.set(nodeId, state);
    this.eventCount++;
    this.lastEventAtMs = atMs;
    for (const listener of this.listeners) listener({ groupId, nodeId, atMs, ...state });
  }
}

const NO_NODES: ReadonlySet<string> = new Set();
