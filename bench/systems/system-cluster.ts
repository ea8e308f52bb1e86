/**
 * What the harness needs of a running peer cluster, whatever the system: the target a load
 * generator drives, the server processes whose CPU and memory count, and a stop that always
 * ends every process it started and removes its files.
 */
import type { LoadTarget } from "../lib/load-target.js";

/** The systems compared. */
export type SystemName = "flotilla" | "etcd" | "jetstream";

/** "strict": acknowledged once synced to disk; "relaxed": acknowledged before that. */
export type Durability = "strict" | "relaxed";

/** A running cluster of one system. */
export interface SystemCluster {
  readonly system: SystemName;
  readonly durability: Durability;
  /** Groups (streams for JetStream) actually created: may be fewer than asked, see `notes`. */
  readonly groups: number;
  readonly target: LoadTarget;
  /** Every server process (nodes and nats-server, etcd members, JetStream servers). */
  serverPids(): number[];
  /** What a reader must know about this cluster (fewer streams than asked, …). */
  readonly notes: readonly string[];
  /** Stops every process and removes the data. Idempotent, never throws. */
  stop(): Promise<void>;
}
