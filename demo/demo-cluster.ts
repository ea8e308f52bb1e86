/**
 * What the demo drives: three nodes hosting the same groups, wherever they run. The in-process
 * cluster implements it today; the multi-process one over nats-server implements the same.
 */
import type { ReplicaStatus } from "@flotilla/runtime";
import type { DemoPut } from "./demo-state-machine.js";

/** One replica's state, for the final check. */
export interface ReplicaState {
  readonly digest: string;
  readonly values: ReadonlyMap<string, unknown>;
}

/** Three nodes hosting the demo's groups. */
export interface DemoCluster {
  /** How the nodes run, said in the demo's first lines. */
  readonly description: string;
  readonly nodeIds: readonly string[];
  readonly groupIds: readonly string[];
  /** Proposes `put` to the group's leader; resolves once it is applied there. */
  propose(groupId: string, put: DemoPut): Promise<unknown>;
  /** Each node's replicas, or undefined for a node that is down. */
  status(): Map<string, readonly ReplicaStatus[] | undefined>;
  /** How {@link kill} stops a node, for the event line ("SIGKILL", …). */
  readonly killVerb: string;
  /** Stops `nodeId` abruptly (no hand-over): SIGKILL, or cut off and dropped in-process. */
  kill(nodeId: string): Promise<void>;
  /** Starts `nodeId` again from its data directory. */
  restart(nodeId: string): Promise<void>;
  /** Asks every live node to shed leaderships above its fair share. */
  rebalance(): void;
  /** Waits until every live replica applied its group's commit index (bounded). */
  settle(timeoutMs: number): Promise<boolean>;
  /** Every live replica's state, per group and node. */
  states(): Promise<Map<string, Map<string, ReplicaState>>>;
  /** Stops everything and removes the data directories. */
  close(): Promise<void>;
}
