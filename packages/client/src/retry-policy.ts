/**
 * When a remote request is worth retrying, and how long to wait before the next attempt.
 * Retrying is safe for proposals because each carries its (client, sequence) session header:
 * a command applies once however often it is sent (Raft dissertation §6.3).
 */
import { errors as natsErrors } from "@nats-io/transport-node";

/** Codes after which the command certainly did not apply, or applies once anyway: try again. */
const RETRIABLE_CODES: ReadonlySet<string> = new Set([
  "NOT_LEADER",
  "OVERLOADED",
  "PROPOSAL_DROPPED",
  "PROPOSAL_OUTCOME_UNKNOWN",
  "PROPOSAL_TIMEOUT",
  "STOPPED",
]);

/** True for an error code a retry may overcome (an election, a deposed leader, a full queue). */
export function isRetriableCode(code: string): boolean {
  return RETRIABLE_CODES.has(code);
}

/**
 * True for a NATS failure a retry may overcome: nobody answers the subject (an election is under
 * way), the request timed out, or the connection is reconnecting.
 */
export function isRetriableNatsError(error: unknown): boolean {
  if (error instanceof natsErrors.ClosedConnectionError) return false;
  if (error instanceof natsErrors.DrainingConnectionError) return false;
  return (
    error instanceof natsErrors.RequestError ||
    error instanceof natsErrors.NoRespondersError ||
    error instanceof natsErrors.TimeoutError ||
    error instanceof natsErrors.ConnectionError
  );
}

/** Exponential backoff with full jitter: attempt 0 waits up to `baseMs`, capped at `maxMs`. */
export function backoffMs(attempt: number, baseMs = 10, maxMs = 500): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 16));
  return Math.random() * ceiling;
}
