/**
 * Reads every current member's state of every group once the cluster is quiet (the control op
 * `state`), for the convergence and lost-write checks. The members are the leader's voters and
 * learners, less any member the nemesis removed and could not put back. Replicas are read again
 * (bounded) until they report the same applied index, so that their digests are comparable.
 */
import { createHash } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import { decodeWire } from "@flotilla/client";
import type { ChaosCluster } from "./chaos-cluster.js";
import type { ChaosSnapshot } from "./chaos-state.js";
import {
  checkConvergence,
  type ConvergenceResult,
  type ReplicaDigest,
} from "./convergence-check.js";

/** Bound on the members of every group reaching the same applied index. */
const SAME_INDEX_BOUND_MS = 20_000;

/** The final states and the convergence verdict. */
export interface FinalStates {
  /** Each group's state, from its leader. */
  readonly states: ReadonlyMap<string, ChaosSnapshot>;
  readonly convergence: ConvergenceResult;
}

interface StateReply {
  readonly appliedIndex: number;
  readonly snapshot: Uint8Array;
  readonly digest?: string;
}

/** Reads and compares every group's replicas. */
export async function collectFinalStates(
  cluster: ChaosCluster,
  removed: ReadonlyMap<string, string>,
): Promise<FinalStates> {
  const { nodes } = cluster;
  const leaders = await nodes.leaders();
  const states = new Map<string, ChaosSnapshot>();
  const replicas: ReplicaDigest[] = [];
  const missing: { groupId: string; nodeId: string; reason: string }[] = [];
  // One bound for all groups: a wedged replica must not cost it once per group.
  const deadline = Date.now() + SAME_INDEX_BOUND_MS;
  for (const groupId of cluster.groupIds) {
    const leader = leaders.get(groupId);
    if (leader === undefined) {
      missing.push({ groupId, nodeId: "?", reason: "no leader" });
      continue;
    }
    const status = (await nodes.status(leader)).groups.find((g) => g.groupId === groupId);
    const members = [...(status?.voters ?? []), ...(status?.learners ?? [])].filter(
      (nodeId) => removed.get(groupId) !== nodeId,
    );
    let read: Map<string, StateReply> = new Map();
    for (;;) {
      read = new Map();
      for (const nodeId of members) {
        try {
          read.set(nodeId, (await nodes.control(nodeId, { op: "state", groupId })) as StateReply);
        } catch (error) {
          if (Date.now() > deadline) missing.push({ groupId, nodeId, reason: String(error) });
        }
      }
      const indexes = new Set([...read.values()].map((reply) => reply.appliedIndex));
      if ((read.size === members.length && indexes.size === 1) || Date.now() > deadline) break;
      await delay(200);
    }
    for (const [nodeId, reply] of read) {
      replicas.push({
        groupId,
        nodeId,
        appliedIndex: reply.appliedIndex,
        digest: reply.digest ?? createHash("sha256").update(reply.snapshot).digest("hex"),
      });
    }
    const own = read.get(leader);
    if (own !== undefined) {
      states.set(
        groupId,
        own.snapshot.byteLength === 0 ? [[], []] : (decodeWire(own.snapshot) as ChaosSnapshot),
      );
    }
  }
  return { states, convergence: checkConvergence(replicas, missing) };
}
