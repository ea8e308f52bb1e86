/**
 * Counted, rate-limited logging of refused requests: every refusal is counted (by its error
 * code), but each code gets at most one log line per interval, carrying how many refusals it
 * stands for. A flood of garbage on a subject then costs a counter increment per message and a
 * line per second, not a line (and a stack trace) per message. Expected refusals — bad input,
 * not leader, unknown group — are logged without a stack; only an unexpected error keeps its.
 */
import type { Logger } from "pino";
import { isFlotillaError } from "@flotilla/runtime";

/** Options of {@link RefusalLog}. */
export interface RefusalLogOptions {
  /** At most one line per reason per this many milliseconds (default 1000). */
  readonly intervalMs?: number;
  /** A monotonic clock in milliseconds (default `performance.now`). */
  readonly now?: () => number;
  /** The log message (default "request refused"). */
  readonly message?: string;
}

/** The counters of a {@link RefusalLog}. */
export interface RefusalStats {
  /** Every refusal since the node started. */
  readonly refused: number;
  /** The same, by reason (the error code). */
  readonly refusedByReason: Readonly<Record<string, number>>;
  /** Refusals counted but not logged (each logged line says how many it stands for). */
  readonly suppressed: number;
}

interface Reason {
  count: number;
  /** When the last line for this reason was written. */
  loggedAtMs: number;
  /** Refusals since that line. */
  unlogged: number;
}

/**
 * Distinct reasons tracked, at most; more fold into "other". Reasons are error codes (a short,
 * fixed list), so this only guards against a caller passing free text.
 */
const REASONS_MAX = 64;

/**
 * Counts and logs refusals, one line per reason per interval.
 *
 * @example
 * const refusals = new RefusalLog(logger, { message: "control request refused" });
 * refusals.refused("BAD_REQUEST", error, { subject: msg.subject });
 * refusals.stats(); // { refused: 1, refusedByReason: { BAD_REQUEST: 1 }, suppressed: 0 }
 */
export class RefusalLog {
  private readonly reasons = new Map<string, Reason>();
  private total = 0;
  private suppressedTotal = 0;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly message: string;

  constructor(
    private readonly logger: Logger,
    options: RefusalLogOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.now = options.now ?? (() => performance.now());
    this.message = options.message ?? "request refused";
  }

  /** Counts a refusal of `reason` caused by `error`, and logs it unless one was just logged. */
  refused(reason: string, error: unknown, fields: Record<string, unknown> = {}): void {
    this.total++;
    const entry = this.entry(reason);
    entry.count++;
    const nowMs = this.now();
    // Never logged: loggedAtMs is -Infinity, so the first refusal of a reason always logs.
    if (nowMs - entry.loggedAtMs < this.intervalMs) {
      entry.unlogged++;
      this.suppressedTotal++;
      return;
    }
    const suppressed = entry.unlogged;
    entry.unlogged = 0;
    entry.loggedAtMs = nowMs;
    // A typed error is expected input: its message says it all. Anything else is a bug: keep
    // its stack.
    const cause = isFlotillaError(error)
      ? { reason: error.message }
      : { reason: error instanceof Error ? error.message : String(error), err: error };
    this.logger.info(
      { ...fields, code: reason, ...cause, suppressed, refused: entry.count },
      this.message,
    );
  }

  /** A copy of the counters. */
  stats(): RefusalStats {
    const refusedByReason: Record<string, number> = {};
    for (const [reason, entry] of this.reasons) refusedByReason[reason] = entry.count;
    return { refused: this.total, refusedByReason, suppressed: this.suppressedTotal };
  }

  private entry(reason: string): Reason {
    const key = this.reasons.has(reason) || this.reasons.size < REASONS_MAX ? reason : "other";
    let entry = this.reasons.get(key);
    if (entry === undefined) {
      entry = { count: 0, loggedAtMs: Number.NEGATIVE_INFINITY, unlogged: 0 };
      this.reasons.set(key, entry);
    }
    return entry;
  }
}
