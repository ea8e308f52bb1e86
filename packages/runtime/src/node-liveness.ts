/**
 * Node-level liveness: the failure detector that stands in for per-group heartbeats once groups
 * quiesce. Every node pings each peer it shares a group with once per heartbeat interval (an
 * empty batch; any batch counts), so the cost is per peer node, not per group. A peer unheard for
 * an election timeout is dead: quiesced followers of its groups forget it as leader, and a
 * quiesced leader that no longer hears a quorum of its voters' nodes steps down.
 */
import type { NodeId } from "@flotilla/raft";

/** Who this node hears from, and who it has not heard from for too long. */
export class NodeLiveness {
  private readonly lastHeardMs = new Map<NodeId, number>();
  private peerSet: ReadonlySet<NodeId> = new Set();

  /**
   * @param timeoutMs a peer unheard for longer is dead (the election timeout).
   * @param startMs every peer counts as heard at start: a node that just started (or
   *   restarted) gives its peers a whole timeout before it judges them.
   */
  constructor(
    private readonly timeoutMs: number,
    private readonly startMs: number,
  ) {}

  /** The peer nodes to ping: every other member of every group hosted here. */
  get peers(): ReadonlySet<NodeId> {
    return this.peerSet;
  }

  /** Replaces the set of peers; a new peer counts as heard now. */
  setPeers(peers: ReadonlySet<NodeId>, nowMs: number): void {
    for (const peer of peers) {
      if (!this.lastHeardMs.has(peer)) this.lastHeardMs.set(peer, Math.max(nowMs, this.startMs));
    }
    for (const peer of this.lastHeardMs.keys()) {
      if (!peers.has(peer)) this.lastHeardMs.delete(peer);
    }
    this.peerSet = peers;
  }

  /** Records that a batch (of any size) arrived from `peer`. */
  heard(peer: NodeId, nowMs: number): void {
    if (this.peerSet.has(peer)) this.lastHeardMs.set(peer, nowMs);
  }

  /** True unless `peer` is a peer unheard for longer than the timeout. */
  isLive(peer: NodeId, nowMs: number): boolean {
    const last = this.lastHeardMs.get(peer);
    return last === undefined || nowMs - last <= this.timeoutMs;
  }

  /** The peers unheard for longer than the timeout, sorted (stable log lines and tests). */
  dead(nowMs: number): NodeId[] {
    const dead: NodeId[] = [];
    for (const [peer, last] of this.lastHeardMs) {
      if (nowMs - last > this.timeoutMs) dead.push(peer);
    }
    return dead.sort();
  }
}
