/**
 * A replica's linearizable reads (ReadIndex, dissertation §6.4): each waits for its read point
 * (a `ReadState` with its own unique context), then for the state machine to apply that index,
 * and only then runs the query locally.
 */
import { contextKey, type ReadState } from "@flotilla/raft";
import { NotLeaderError, ProposalTimeoutError } from "./errors/errors.js";
import type { Pending } from "./pending.js";

interface PendingRead {
  readonly query: unknown;
  readonly pending: Pending<unknown>;
  /** Set once the read point is known. */
  index: number | undefined;
}

/** Reads of one replica, keyed by their context. */
export class ReadBook {
  private readonly byContext = new Map<string, PendingRead>();

  constructor(private readonly groupId: string) {}

  /** How many wait here (a replica with any may not quiesce: their deadlines need ticks). */
  get size(): number {
    return this.byContext.size;
  }

  /** The core accepted a ReadIndex request with `context`. */
  requested(context: Uint8Array, query: unknown, pending: Pending<unknown>): void {
    const key = contextKey(context);
    this.byContext.set(key, { query, pending, index: undefined });
    pending.onSettled(() => this.byContext.delete(key));
  }

  /** Read points the core confirmed in a Ready. Unknown contexts are not ours: ignored. */
  confirmed(readStates: readonly ReadState[]): void {
    for (const readState of readStates) {
      const read = this.byContext.get(contextKey(readState.context));
      if (read !== undefined && read.index === undefined) read.index = readState.index;
    }
  }

  /** Answers every read whose read point is applied. A throwing query rejects its read. */
  serve(appliedIndex: number, query: (query: unknown) => unknown): void {
    for (const read of [...this.byContext.values()]) {
      if (read.index === undefined || read.index > appliedIndex) continue;
      try {
        read.pending.resolve(query(read.query));
      } catch (error) {
        read.pending.reject(error);
      }
    }
  }

  /**
   * The term changed: a read whose point was not confirmed will never be (the core forgets
   * it), so it rejects with `NotLeaderError`; confirmed ones still complete.
   */
  termChanged(leaderHint: string | undefined): void {
    for (const read of [...this.byContext.values()]) {
      if (read.index === undefined) {
        read.pending.reject(new NotLeaderError(this.groupId, leaderHint));
      }
    }
  }

  /** Rejects everything whose deadline passed with `ProposalTimeoutError`. */
  expire(nowMs: number): void {
    for (const read of [...this.byContext.values()]) {
      if (nowMs >= read.pending.deadlineMs)
        read.pending.reject(new ProposalTimeoutError(this.groupId, read.pending.timeoutMs));
    }
  }

  rejectAll(error: unknown): void {
    for (const read of [...this.byContext.values()]) read.pending.reject(error);
    this.byContext.clear();
  }
}
