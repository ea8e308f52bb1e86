/**
 * The messages between the chaos runner and its client processes (Node IPC, `child_process.fork`).
 * The runner starts a process with its plan, stops its workload, then has its subscribers read
 * up to the end marker; the process writes its history and streams to the results folder.
 */
import type { ProcessPlan } from "./workload-plan.js";

/** What a client process needs to run. */
export interface ClientProcessConfig {
  readonly cluster: string;
  readonly natsUrls: readonly string[];
  readonly seed: number;
  readonly plan: ProcessPlan;
  /** Bound on one operation, retries included. */
  readonly opTimeoutMs: number;
  readonly historyFile: string;
  readonly streamsFile: string;
}

/** Runner → client process. */
export type ToClientProcess =
  | { readonly type: "start"; readonly config: ClientProcessConfig }
  | { readonly type: "stop-workload" }
  /** Read each group's stream up to its end marker (bounded), write the streams, exit. */
  | { readonly type: "finish-streams"; readonly timeoutMs: number };

/** Client process → runner. */
export type FromClientProcess =
  | { readonly type: "ready" }
  | { readonly type: "progress"; readonly ops: number; readonly acked: number }
  | { readonly type: "workload-done"; readonly ops: number; readonly acked: number }
  | { readonly type: "streams-done"; readonly unfinished: readonly string[] }
  | { readonly type: "failed"; readonly error: string };
