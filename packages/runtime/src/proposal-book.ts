/**
 * A replica's proposals appended to the log and waiting for their entry to apply. Each is
 * settled exactly once: with the state machine's result when its own entry applies, with
 * `ProposalDroppedError` when another entry applied at its index, with
 * `ProposalOutcomeUnknownError` when leadership was lost first, or by timeout, abort or stop.
 */
import {
  ProposalDroppedError,
  ProposalOutcomeUnknownError,
  ProposalTimeoutError,
} from "./errors/errors.js";
import type { Pending } from "./pending.js";

/** A proposal appended at `index` in `term`. */
interface AcceptedProposal {
  readonly pending: Pending<unknown>;
  readonly term: number;
  /** Set once leadership was lost: past this clock time the outcome is reported unknown. */
  unknownAfterMs: number | undefined;
}

/** What applying an entry produced, to settle its proposal with. */
export type ApplyOutcome =
  { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: unknown };

/**
 * Accepted proposals of one replica, by log index. Several may wait at one index, from
 * different terms: a deposed leader's proposal still in its grace period, and the proposal this
 * replica accepted at the same index after leading again (found by the runtime simulator, seed
 * 3237; a map of one proposal per index lost the first one's future).
 */
export class ProposalBook {
  private readonly byIndex = new Map<number, AcceptedProposal[]>();
  private count = 0;

  constructor(private readonly groupId: string) {}

  /** How many wait here (a replica with any may not quiesce: their deadlines need ticks). */
  get size(): number {
    return this.count;
  }

  /** Tracks a proposal the core accepted at `index` in `term`. */
  accepted(pending: Pending<unknown>, index: number, term: number): void {
    const proposal: AcceptedProposal = { pending, term, unknownAfterMs: undefined };
    const waiting = this.byIndex.get(index);
    if (waiting === undefined) this.byIndex.set(index, [proposal]);
    else waiting.push(proposal);
    this.count++;
    pending.onSettled(() => this.forget(index, proposal));
  }

  /**
   * The entry at `index` from `term` applied with `outcome`: the proposal of that term gets it;
   * any other waiting there was overwritten and never applies (Log Matching).
   */
  applied(index: number, term: number, outcome: ApplyOutcome): void {
    const waiting = this.byIndex.get(index);
    if (waiting === undefined) return;
    for (const proposal of [...waiting]) {
      if (proposal.term !== term) {
        proposal.pending.reject(new ProposalDroppedError(this.groupId, index, proposal.term));
      } else if (outcome.ok) {
        proposal.pending.resolve(outcome.result);
      } else {
        proposal.pending.reject(outcome.error);
      }
    }
  }

  /**
   * Leadership was lost (or the term changed): a proposal not yet applied may or may not commit
   * under the next leader. It keeps waiting for `graceMs`, during which the entry applying at its
   * index settles it for certain (its own entry: the result; another one: dropped); after that
   * it rejects with `ProposalOutcomeUnknownError`.
   */
  leadershipLost(nowMs: number, graceMs: number): void {
    for (const waiting of this.byIndex.values()) {
      for (const proposal of waiting) proposal.unknownAfterMs ??= nowMs + graceMs;
    }
    this.expire(nowMs);
  }

  /**
   * Rejects what waited too long: past its grace after a lost leadership with
   * `ProposalOutcomeUnknownError`, past its deadline with `ProposalTimeoutError` (or unknown,
   * once leadership was lost).
   */
  expire(nowMs: number): void {
    for (const [index, waiting] of [...this.byIndex]) {
      for (const proposal of [...waiting]) {
        const { pending, term, unknownAfterMs } = proposal;
        if (unknownAfterMs !== undefined && nowMs >= unknownAfterMs) {
          pending.reject(new ProposalOutcomeUnknownError(this.groupId, index, term));
        } else if (nowMs >= pending.deadlineMs) {
          pending.reject(
            unknownAfterMs === undefined
              ? new ProposalTimeoutError(this.groupId, pending.timeoutMs)
              : new ProposalOutcomeUnknownError(this.groupId, index, term),
          );
        }
      }
    }
  }

  /** Rejects everything with `error` (the node stops). */
  rejectAll(error: unknown): void {
    for (const waiting of [...this.byIndex.values()]) {
      for (const proposal of [...waiting]) proposal.pending.reject(error);
    }
    this.byIndex.clear();
    this.count = 0;
  }

  private forget(index: number, proposal: AcceptedProposal): void {
    const waiting = this.byIndex.get(index);
    if (waiting === undefined) return;
    const at = waiting.indexOf(proposal);
    if (at < 0) return;
    waiting.splice(at, 1);
    this.count--;
    if (waiting.length === 0) this.byIndex.delete(index);
  }
}
