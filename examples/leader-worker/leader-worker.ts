/**
 * Example: a leader-only worker. A scheduler runs on exactly one node per group — the one whose
 * replica leads — through `node.leaderOnly(groupId, ({ term, signal }) => …)`. It emits due jobs
 * tagged with the term as a fencing token; the sink they go to refuses any job whose term is
 * below the highest it has accepted, so a deposed leader that has not yet noticed cannot write
 * after its successor.
 */
import { nodeId } from "@flotilla/raft";
import { MemoryNodeStorage } from "@flotilla/storage-lmdb";
import {
  FlotillaNode,
  InMemoryNetwork,
  type Clock,
  type LeaderWorkContext,
  type StateMachine,
} from "@flotilla/runtime";
import type { Subscription } from "rxjs";

/** A recurring job. */
export interface JobDefinition {
  readonly name: string;
  readonly everyMs: number;
}

/** A job that came due, emitted by the scheduler of `nodeId` while leading in `term`. */
export interface DueJob {
  readonly job: string;
  readonly dueAtMs: number;
  readonly nodeId: string;
  /** The fencing token: the Raft term the emitting replica leads in. */
  readonly term: number;
}

/**
 * Where due jobs go (a queue, a database, another service), fenced by term: a job whose term is
 * below the highest term accepted so far is refused.
 */
export class FencedSink {
  readonly accepted: DueJob[] = [];
  readonly refused: DueJob[] = [];
  private highestTerm = 0;

  /** Accepts `job` unless a newer leader already wrote; returns whether it was accepted. */
  accept(job: DueJob): boolean {
    if (job.term < this.highestTerm) {
      this.refused.push(job);
      return false;
    }
    this.highestTerm = job.term;
    this.accepted.push(job);
    return true;
  }
}

/**
 * The leader-only work: one timer per job on the node's clock, each firing emits the job with
 * this leadership's term if the leader lease still holds (`leaseValid()`, ADR 0010); the
 * signal's abort (leadership lost, unsubscribe, node stop) cancels the timers at once.
 */
export function scheduler(
  id: string,
  clock: Clock,
  jobs: readonly JobDefinition[],
  sink: FencedSink,
): (context: LeaderWorkContext) => void {
  return ({ term, signal, leaseValid }) => {
    const timers = jobs.map((job) =>
      clock.setInterval(() => {
        // Right before acting: the signal aborts only at a round, which a paused process has
        // not run yet; the lease is read from the clock. The sink's fencing covers the rest.
        if (signal.aborted || !leaseValid()) return;
        sink.accept({ job: job.name, dueAtMs: clock.now(), nodeId: id, term });
      }, job.everyMs),
    );
    signal.addEventListener("abort", () => timers.forEach((timer) => timer.cancel()), {
      once: true,
    });
  };
}

/** The group carries no commands here: it exists to elect the scheduler's node. */
class ElectionOnly implements StateMachine<Uint8Array, undefined> {
  apply(): undefined {
    return undefined;
  }
  query(): never {
    throw new Error("no queries");
  }
  snapshot(): Uint8Array {
    return new Uint8Array();
  }
  restore(): void {}
}

/** A run of the worker on one node: its term and its signal. */
export interface WorkerRun {
  readonly nodeId: string;
  readonly term: number;
  readonly signal: AbortSignal;
}

/** Options of {@link SchedulerCluster.start}. */
export interface SchedulerClusterOptions {
  readonly clock: Clock;
  readonly jobs: readonly JobDefinition[];
  readonly groupId?: string;
  readonly nodeIds?: readonly string[];
  readonly tickIntervalMs?: number;
}

/** Three nodes (by default) hosting one group, each registering the scheduler for it. */
export class SchedulerCluster {
  readonly network = new InMemoryNetwork();
  readonly sink = new FencedSink();
  readonly nodes: { readonly id: string; readonly node: FlotillaNode }[] = [];
  /** Every start of the worker, in order, on any node. */
  readonly runs: WorkerRun[] = [];
  private readonly subscriptions: Subscription[] = [];

  static async start(options: SchedulerClusterOptions): Promise<SchedulerCluster> {
    const cluster = new SchedulerCluster();
    const groupId = options.groupId ?? "scheduler";
    const ids = options.nodeIds ?? ["n1", "n2", "n3"];
    for (const id of ids) {
      const node = await FlotillaNode.start({
        nodeId: id,
        storage: new MemoryNodeStorage(),
        transport: cluster.network.endpoint(nodeId(id)),
        clock: options.clock,
        ...(options.tickIntervalMs === undefined ? {} : { tickIntervalMs: options.tickIntervalMs }),
      });
      await node.group(groupId, { members: ids, stateMachine: new ElectionOnly() });
      const work = scheduler(id, options.clock, options.jobs, cluster.sink);
      cluster.subscriptions.push(
        node.leaderOnly(groupId, (context) => {
          cluster.runs.push({ nodeId: id, term: context.term, signal: context.signal });
          work(context);
        }),
      );
      cluster.nodes.push({ id, node });
    }
    return cluster;
  }

  /** Cuts every link of node `id`, both ways. */
  isolate(id: string): void {
    this.network.isolate(
      nodeId(id),
      this.nodes.map((n) => nodeId(n.id)),
    );
  }

  async stop(): Promise<void> {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    for (const n of this.nodes) await n.node.stop();
  }
}
