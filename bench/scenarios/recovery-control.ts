/**
 * Operator requests from a scenario to one node's control subject
 * (`flotilla.<cluster>.ctl.<nodeId>`, docs/protocol.md "Control"), as the `flotilla` CLI sends
 * them, but over a connection the scenario keeps open: the recovery scenario polls a restarting
 * node every few tens of milliseconds, which a CLI process per poll could not do. Shared by the
 * idle/failover scenario, which asks `status` where the reply fits in a NATS message.
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

/** What `status` answers. `stats` is informational; the scenarios read `groups` only. */
export interface NodeStatusReply {
  readonly nodeId: string;
  readonly groups: readonly ReplicaStatus[];
}

/**
 * Sends `{ v: 1, ...request }` to `nodeId`'s control subject and resolves with the reply's
 * `result`. Rejects on no responders (the node is not up), a timeout, or an error reply.
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

/** `status` of `nodeId`: its replicas' roles, terms and indexes. */
export async function nodeStatus(
  nc: NatsConnection,
  cluster: string,
  nodeId: string,
  timeoutMs: number,
): Promise<NodeStatusReply> {
  return (await controlRequest(
    nc,
    cluster,
    nodeId,
    { op: "status" },
    timeoutMs,
  )) as NodeStatusReply;
}
