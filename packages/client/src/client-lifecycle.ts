/**
 * Whether a client is open, and who must hear when it closes. Closing is what ends every
 * pending proposal, read and committed stream with `ClosedConnectionError`, whether or not the
 * client owns its NATS connection (a connection it was given stays open, so nothing would
 * otherwise end them), and before the connection goes away, so that nothing waits on a request
 * the closing connection might answer with a retriable error.
 */
import { errors as natsErrors } from "@nats-io/transport-node";

/** The error every call gets after its client closed: NATS's own `ClosedConnectionError`. */
export function closedConnectionError(): Error {
  return new natsErrors.ClosedConnectionError();
}

/**
 * True for the error of a call made on, or pending when, a closed client (or a closed NATS
 * connection). Checks the name too, so it holds across copies of `@nats-io/transport-node`.
 */
export function isClosedConnectionError(error: unknown): boolean {
  return (
    error instanceof natsErrors.ClosedConnectionError ||
    (error instanceof Error && error.name === "ClosedConnectionError")
  );
}

/** The open/closed state of one client, shared by its proposers, reads and streams. */
export class ClientLifecycle {
  private readonly listeners = new Set<() => void>();
  private closedFlag = false;

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.closedFlag;
  }

  /**
   * Calls `listener` once when the client closes (at once if it already has). Returns the
   * function that unregisters it: call it when the work it guards settles, so that a
   * long-lived client holds no listener per finished call.
   */
  onClose(listener: () => void): () => void {
    if (this.closedFlag) {
      listener();
      return () => undefined;
    }
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** The number of listeners registered (tests check that settled work left none behind). */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Marks the client closed and calls every listener once. Idempotent. */
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const listener of listeners) listener();
  }
}
