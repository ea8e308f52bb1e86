/**
 * Leader-only work for one replica: each registered worker runs while this replica leads its
 * group, started with the term as a fencing token, and its signal aborts as soon as the
 * replica stops leading (a new term, a step-down by CheckQuorum, a stop). The signal is
 * aborted by the node's rounds, which a paused process does not run; `leaseValid()` reads the
 * clock instead, so work calls it right before each effect (ADR 0010).
 */
import type { Logger } from "pino";

/** What a leader-only worker receives. */
export interface LeaderWorkContext {
  /** The term this replica leads in: a fencing token for anything the work writes elsewhere. */
  readonly term: number;
  /** Aborted as soon as this replica stops leading in `term` (or the node stops). */
  readonly signal: AbortSignal;
  /**
   * True while this replica still leads `term` and holds its leader lease by the monotonic
   * clock: no other replica can have been elected since (ADR 0010). Call it right before each
   * effect and skip (or postpone) the effect on false. Cheap: a clock reading, no I/O.
   *
   * The signal can lag (a paused process aborts it only at its first round after resuming);
   * this check does not. It still cannot cover a pause between the check and the effect
   * landing, so whatever the effect reaches must also check `term` as a fencing token.
   *
   * False until the lease is first confirmed after taking office (a heartbeat round with a
   * quorum, usually within a round trip), and while a leadership transfer is in progress.
   * Asking when the lease nears its end also asks for it to be renewed (and wakes a quiesced
   * group), so a caller that got false may ask again a round trip later.
   *
   * @example
   * if (!leaseValid()) return; // not now: maybe no longer leader
   * await publish({ term, job });
   */
  readonly leaseValid: () => boolean;
  /**
   * When the lease of `term` runs out, in the node's clock milliseconds (`Clock.now()`), or
   * `-Infinity` when none is held. For work that wants to bound an effect by the lease. Only
   * reads: unlike `leaseValid()` it never asks for the lease to be renewed.
   */
  readonly leaseExpiresAt: () => number;
}

/** How the workers of one replica see its lease. */
export interface LeaseView {
  /** See {@link LeaderWorkContext.leaseValid}. */
  valid(term: number): boolean;
  /** See {@link LeaderWorkContext.leaseExpiresAt}. */
  expiresAt(term: number): number;
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

  constructor(
    private readonly logger: Logger,
    private readonly lease: LeaseView,
  ) {}

  /** How many workers are registered (a leader with any keeps its group awake). */
  get size(): number {
    return this.workers.size;
  }

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
      const lease = this.lease;
      const result = worker.work({
        term,
        signal: controller.signal,
        leaseValid: () => !controller.signal.aborted && lease.valid(term),
        leaseExpiresAt: () =>
          controller.signal.aborted ? Number.NEGATIVE_INFINITY : lease.expiresAt(term),
      });
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
