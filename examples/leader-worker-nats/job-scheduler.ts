/**
 * Example: an event-driven leader-only worker over NATS. Every node of the cluster registers a
 * job scheduler with `node.leaderOnly(groupId, ({ term, signal }) => …)`; only the node whose
 * replica leads the group runs it, and while it does it publishes each due job on the NATS
 * subject `jobs.due` with the Raft term as a fencing token. The signal aborts as soon as the
 * replica stops leading, which cancels the timers; a consumer that refuses lower terms (see
 * fenced-consumer.ts) makes a deposed leader's late messages harmless.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import type { LeaderWorkContext } from "@flotilla/runtime";
import { startNodeProcess, type NodeProcessConfig, type RunningNode } from "flotilla";
import type { Logger } from "pino";

/** The subject due jobs are published on. */
export const JOBS_DUE_SUBJECT = "jobs.due";

/** A recurring job. */
export interface JobDefinition {
  readonly name: string;
  readonly everyMs: number;
}

/** A due-job message (JSON on `jobs.due`). */
export interface DueJob {
  readonly job: string;
  /** The group whose leader scheduled it: terms are compared within one group. */
  readonly groupId: string;
  /** The fencing token: the term in which the publishing replica leads `groupId`. */
  readonly term: number;
  readonly nodeId: string;
  /** Counts the messages of one leadership (nodeId, term) from 1. */
  readonly seq: number;
  readonly dueAtMs: number;
}

/** One run of the worker: a leadership of this node. */
export interface SchedulerRun {
  readonly nodeId: string;
  readonly term: number;
  readonly signal: AbortSignal;
}

/** What {@link scheduleJobs} needs. */
export interface SchedulerOptions {
  readonly nodeId: string;
  readonly groupId: string;
  readonly nc: NatsConnection;
  readonly jobs: readonly JobDefinition[];
  /** Told of every start (tests and logs). */
  readonly onRun?: (run: SchedulerRun) => void;
}

/**
 * The leader-only work: one timer per job; each firing publishes the job with this
 * leadership's term. The signal's abort (leadership lost, node stopping) cancels every timer at
 * once, so nothing is published after it.
 */
export function scheduleJobs(options: SchedulerOptions): (context: LeaderWorkContext) => void {
  const encoder = new TextEncoder();
  return ({ term, signal, leaseValid }) => {
    options.onRun?.({ nodeId: options.nodeId, term, signal });
    let seq = 0;
    const timers = options.jobs.map((job) =>
      setInterval(() => {
        // Right before publishing: after a process pause this timer can fire before the node's
        // first round aborts `signal`; the lease is read from the clock (ADR 0010). A pause
        // between here and the publish is what the consumer's term check is for.
        if (signal.aborted || !leaseValid()) return;
        const message: DueJob = {
          job: job.name,
          groupId: options.groupId,
          term,
          nodeId: options.nodeId,
          seq: ++seq,
          dueAtMs: Date.now(),
        };
        options.nc.publish(JOBS_DUE_SUBJECT, encoder.encode(JSON.stringify(message)));
      }, job.everyMs),
    );
    signal.addEventListener("abort", () => timers.forEach((timer) => clearInterval(timer)), {
      once: true,
    });
  };
}

/**
 * A node process (what `flotilla node` runs) that also runs the scheduler for `groupId`
 * whenever its replica leads it. `shutDown()` hands the leadership over first, so the
 * scheduler moves to another node at once.
 */
export async function startSchedulerNode(
  config: NodeProcessConfig,
  options: Omit<SchedulerOptions, "nodeId" | "nc">,
  logger?: Logger,
): Promise<RunningNode> {
  const running = await startNodeProcess(config, logger);
  running.node.leaderOnly(
    options.groupId,
    scheduleJobs({ ...options, nodeId: config.nodeId, nc: running.nc }),
  );
  return running;
}
