/**
 * What scenarios 3, 4, 5 and 7 ask the nodes over NATS, on a connection the scenario keeps open
 * (a CLI process per poll would cost more than the interval, and a restarting node is polled
 * every few tens of milliseconds): control requests (`flotilla.<cluster>.ctl.<nodeId>`,
 * docs/protocol.md "Control"), as the `flotilla` CLI sends them, and a one-entry page
 * of a group's committed history (`g.<groupId>.entries`), which tells whether the leader's log
 * is compacted past an index — `status` does not report a replica's first index.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import {
  CLIENT_PROTOCOL_VERSION,
  ClientSubjects,
  decodeReply,
  encodeWire,
  errorFromWire,
  type WireError,
} from "@flotilla/client";
import type { ReplicaStatus } from "@flotilla/runtime";

/** The transport counters `status` carries in `stats.transport` (the ones read here). */
export interface SnapshotTransportStats {
  readonly snapshotTransfersStarted: number;
  readonly snapshotTransfersCompleted: number;
  readonly snapshotTransfersAbandoned: number;
  readonly snapshotChunksSent: number;
  readonly snapshotChunksResent: number;
  readonly snapshotsReceived: number;
  readonly snapshotReceivesAbandoned: number;
}

/** What `status` answers; `stats` is informational, read defensively. */
export interface NodeStatus {
  readonly nodeId: string;
  readonly groups: readonly ReplicaStatus[];
  readonly stats: { readonly transport?: Partial<SnapshotTransportStats> };
}

/**
 * Sends `{ v: 1, ...request }` to `nodeId`'s control subject and resolves with the reply's
 * `result`. Rejects on no responders, a timeout, or an error reply.
 */
export async function controlRequest(
  nc: NatsConnection,
  cluster: string,
  nodeId: string,
  request: Readonly<Record<string, unknown>>,
  timeoutMs: number,
): Promise<unknown> {
  const message = await nc.request(
    new ClientSubjects(cluster).control(nodeId),
    encodeWire({ v: CLIENT_PROTOCOL_VERSION, ...request }),
    { timeout: timeoutMs },
  );
  const reply = decodeReply(message.data);
  if (reply["ok"] !== true) throw errorFromWire(reply["error"] as WireError);
  return reply["result"];
}

/** `status` of `nodeId`. */
export async function nodeStatus(
  nc: NatsConnection,
  cluster: string,
  nodeId: string,
  timeoutMs: number,
): Promise<NodeStatus> {
  return (await controlRequest(nc, cluster, nodeId, { op: "status" }, timeoutMs)) as NodeStatus;
}

/** `status` of `nodeId`, or undefined when it does not answer in time (busy, or down). */
export async function tryNodeStatus(
  nc: NatsConnection,
  cluster: string,
  nodeId: string,
  timeoutMs: number,
): Promise<NodeStatus | undefined> {
  try {
    return await nodeStatus(nc, cluster, nodeId, timeoutMs);
  } catch {
    return undefined;
  }
}

/** A transport counter of a status, 0 when absent. */
export function transportCounter(
  status: NodeStatus | undefined,
  name: keyof SnapshotTransportStats,
): number {
  return status?.stats.transport?.[name] ?? 0;
}

/**
 * Whether the leader of `groupId` has compacted its log past `index`: asks for the committed
 * page from `index` with a one-kilobyte bound. Below the first index the page starts with a
 * snapshot event (docs/protocol.md "Committed entries"); when that snapshot is larger than the
 * server's `max_payload` the node cannot send the reply and answers `TOO_LARGE` instead
 * (packages/flotilla/src/reply-safely.ts), which says the same. Undefined when no leader answers in time.
 *
 * A positive answer costs the leader a read (and an encoding attempt) of its whole snapshot, so
 * callers stop asking once it is true.
 */
export async function compactedPast(
  nc: NatsConnection,
  cluster: string,
  groupId: string,
  index: number,
  timeoutMs: number,
): Promise<boolean | undefined> {
  let reply: Record<string, unknown>;
  try {
    const message = await nc.request(
      new ClientSubjects(cluster).entries(groupId),
      encodeWire({ v: CLIENT_PROTOCOL_VERSION, fromIndex: index, maxBytes: 1024 }),
      { timeout: timeoutMs },
    );
    reply = decodeReply(message.data);
  } catch {
    return undefined; // no leader yet, or it is busy
  }
  if (reply["ok"] !== true) {
    const error = reply["error"] as WireError | undefined;
    // The page with the snapshot event did not fit; any other error says nothing.
    return error?.code === "TOO_LARGE" ? true : undefined;
  }
  const result = reply["result"] as { events?: readonly { type?: unknown }[] } | undefined;
  return result?.events?.[0]?.type === "snapshot";
}
