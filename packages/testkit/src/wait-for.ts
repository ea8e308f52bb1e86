/**
 * Polling with a bound, for tests against real processes: wait for a condition, never `sleep`,
 * and fail with a description of what did not happen (STYLE.md §6).
 */
import { setTimeout as delay } from "node:timers/promises";
import { WaitTimeoutError } from "./testkit-errors.js";

/** How long {@link waitFor} polls, and what the failure message calls the condition. */
export interface WaitForOptions {
  /** What is awaited, for the failure message. */
  readonly description: string;
  /** Bound on the whole wait (default 10 000 ms). */
  readonly timeoutMs?: number;
  /** Pause between two polls (default 10 ms). */
  readonly intervalMs?: number;
}

/**
 * Polls `predicate` until it returns true. A predicate that throws counts as false, and its last
 * error becomes the `cause` of the {@link WaitTimeoutError} thrown once `timeoutMs` has passed.
 *
 * @example
 * await waitFor(() => received.length === 3, { description: "three batches", timeoutMs: 5_000 });
 */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  options: WaitForOptions,
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 10;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await predicate()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      throw new WaitTimeoutError(
        options.description,
        timeoutMs,
        lastError === undefined ? undefined : { cause: lastError },
      );
    }
    await delay(intervalMs);
  }
}
