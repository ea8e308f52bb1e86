/**
 * Leader-only work for one replica: each registered worker runs while this replica leads its
 * group, started with the term as a fencing token, and its signal aborts as soon as the
 * replica stops leading (a new term, a step-down by CheckQuorum, a stop).
 */
import type { Logger } from "pino";

/** What a leader-only worker receives. */
export interface LeaderWorkContext {
  /** The term this replica leads in: a fencing token for anything the work writes elsewhere. */
  readonly term: number;
  /** Aborted as soon as this replica stops leading in `term` (or the node stops). */
  readonly signal: AbortSignal;
}

/** A leader-only worker. Its promise (if any) is awaited only to log a failure. */
export type LeaderWork = (context: LeaderWorkContext) => void | Promise<void>;

interface Worker {
  readonly work: LeaderWork;
  running: AbortController | undefined;
}

/** The workers of one replica. */
export class LeaderWorkers {
  private readonly workers = new Set<Worker>();
  private leaderTerm: number | undefined;

  constructor(private readonly logger: Logger) {}

  /** Registers `work`; starts it at once when this replica leads. Returns the unregister. */
  add(work: LeaderWork): () => void {
    const worker: Worker = { work, running: undefined };
    this.workers.add(worker);
    if (this.leaderTerm !== undefined) this.start(worker, this.leaderTerm);
    return () => {
      this.workers.delete(worker);
      this.abort(worker, "leaderOnly unsubscribed");
    };
  }

  /** The replica now leads in `term`, or (undefined) leads no more. */
  leadership(term: number | undefined): void {
    if (term === this.leaderTerm) return;
    for (const worker of this.workers) this.abort(worker, "leadership lost");
    this.leaderTerm = term;
    if (term !== undefined) for (const worker of this.workers) this.start(worker, term);
  }

  /** Aborts and forgets every worker (the node stops). */
  close(): void {
    for (const worker of this.workers) this.abort(worker, "node stopped");
    this.workers.clear();
    this.leaderTerm = undefined;
  }

  private start(worker: Worker, term: number): void {
    const controller = new AbortController();
    worker.running = controller;
    try {
      const result = worker.work({ term, signal: controller.signal });
      if (result !== undefined) {
        result.catch((error: unknown) => this.failed(controller, term, error));
      }
    } catch (error) {
      this.failed(controller, term, error);
    }
  }

  private failed(controller: AbortController, term: number, error: unknown): void {
    // An abort-driven rejection is the expected way for work to end.
    if (controller.signal.aborted) return;
    this.logger.error({ term, err: error }, "leader-only work failed");
  }

  private abort(worker: Worker, reason: string): void {
    const controller = worker.running;
    worker.running = undefined;
    controller?.abort(new Error(reason));
  }
}
