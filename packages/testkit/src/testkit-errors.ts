/**
 * Typed errors of the test fixtures. A missing `nats-server` binary fails loudly with the install
 * hint (STYLE.md §6: never a silent skip); a server that does not come up says why, with the end
 * of its log.
 */

/** Every testkit error code. `as const` object with a derived type, not a TS enum. */
export const TestkitErrorCode = {
  NatsServerNotFound: "NATS_SERVER_NOT_FOUND",
  NatsServerStartFailed: "NATS_SERVER_START_FAILED",
  WaitTimeout: "WAIT_TIMEOUT",
} as const;
export type TestkitErrorCode = (typeof TestkitErrorCode)[keyof typeof TestkitErrorCode];

/** Base of every testkit error: a stable `code`, `name` equal to the class name. */
export abstract class TestkitError extends Error {
  /** Stable machine-readable code. */
  abstract readonly code: TestkitErrorCode;
}

/**
 * No executable `nats-server` on PATH nor at the Debian location. Install it (`apt-get install
 * nats-server`) or put it on PATH.
 */
export class NatsServerNotFoundError extends TestkitError {
  override readonly name = "NatsServerNotFoundError";
  readonly code = TestkitErrorCode.NatsServerNotFound;
  /** Every path that was tried, in order. */
  readonly searched: readonly string[];

  constructor(searched: readonly string[]) {
    super(
      `nats-server not found (searched ${searched.join(", ")}): ` +
        "install it with `sudo apt-get install nats-server` (Debian/Ubuntu) or put it on PATH",
    );
    this.searched = searched;
  }
}

/** A nats-server process exited, or did not accept connections, before its start bound. */
export class NatsServerStartError extends TestkitError {
  override readonly name = "NatsServerStartError";
  readonly code = TestkitErrorCode.NatsServerStartFailed;
  /** The last lines the server logged, for the failure message. */
  readonly logTail: string;

  constructor(reason: string, logTail: string, options?: ErrorOptions) {
    super(`nats-server did not start: ${reason}\n--- server log (tail) ---\n${logTail}`, options);
    this.logTail = logTail;
  }
}

/** {@link waitFor}'s predicate stayed false for the whole bound. */
export class WaitTimeoutError extends TestkitError {
  override readonly name = "WaitTimeoutError";
  readonly code = TestkitErrorCode.WaitTimeout;
  readonly description: string;
  readonly timeoutMs: number;

  constructor(description: string, timeoutMs: number, options?: ErrorOptions) {
    super(`timed out after ${timeoutMs} ms waiting for ${description}`, options);
    this.description = description;
    this.timeoutMs = timeoutMs;
  }
}
