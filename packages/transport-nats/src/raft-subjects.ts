/**
 * The NATS subjects of Raft traffic to one node (docs/protocol.md, "Raft subjects"). Three lanes,
 * so that votes and heartbeats never wait behind bulk appends or snapshot chunks (REFERENCE.md:
 * heartbeats stuck behind bulk traffic cause election storms).
 */
import { isValidId, type NodeId } from "@flotilla/raft";

/** The subjects a node receives Raft traffic on. */
export interface RaftSubjects {
  /** `flotilla.<cluster>.raft.<nodeId>`: votes, heartbeats, results, empty batches (pings). */
  readonly priority: string;
  /** `flotilla.<cluster>.raft.<nodeId>.bulk`: appends with entries, forwarded proposals, small snapshots. */
  readonly bulk: string;
  /** `flotilla.<cluster>.raft.<nodeId>.snapshot`: request/reply snapshot chunks. */
  readonly snapshot: string;
}

/**
 * The Raft subjects of node `nodeId` in cluster `cluster`.
 *
 * @throws {RangeError} when `cluster` or `nodeId` is not an id (`[A-Za-z0-9_-]{1,64}`), which
 *   would not be a single subject token.
 * @example
 * raftSubjects("prod", nodeId("n1")).priority; // "flotilla.prod.raft.n1"
 */
export function raftSubjects(cluster: string, nodeId: NodeId): RaftSubjects {
  if (!isValidId(cluster)) throw new RangeError(`invalid cluster id ${JSON.stringify(cluster)}`);
  if (!isValidId(nodeId)) throw new RangeError(`invalid node id ${JSON.stringify(nodeId)}`);
  const priority = `flotilla.${cluster}.raft.${nodeId}`;
  return { priority, bulk: `${priority}.bulk`, snapshot: `${priority}.snapshot` };
}
