/**
 * Admission of a proposal before it reaches a mailbox: a stopped node, a command too large or
 * one past the pending bounds is refused at once (fail fast), with the typed error that says it
 * certainly did not apply. Also: wiring an `AbortSignal` to a pending future.
 */
import { OverloadedError, StoppedError, TooLargeError } from "./errors/errors.js";
import type { ResolvedNodeOptions } from "./node-options.js";
import type { Pending } from "./pending.js";
import type { Replica } from "./replica.js";

/** The encoded command, or why it is refused. */
export type Admission =
  | { readonly type: "admitted"; readonly data: Uint8Array }
  | { readonly type: "refused"; readonly error: Error };

/** Checks the node's state, the command's size and the pending bounds (group, then node). */
export function admitProposal(
  running: boolean,
  nodeId: string,
  replica: Replica,
  options: ResolvedNodeOptions,
  request: { readonly nodePending: number; readonly encode: () => Uint8Array },
): Admission {
  if (!running) return { type: "refused", error: new StoppedError(nodeId) };
  if (replica.pendingProposals >= options.pendingProposalsPerGroupMax) {
    return {
      type: "refused",
      error: new OverloadedError(replica.groupId, "pendingProposalsPerGroupMax"),
    };
  }
  if (request.nodePending >= options.pendingProposalsPerNodeMax) {
    return { type: "refused", error: new OverloadedError(undefined, "pendingProposalsPerNodeMax") };
  }
  let data: Uint8Array;
  try {
    data = request.encode();
  } catch (error) {
    // A codec that cannot encode the command: refused before anything was queued.
    const refusal = error instanceof Error ? error : new Error(String(error));
    return { type: "refused", error: refusal };
  }
  if (data.byteLength > options.commandBytesMax) {
    return { type: "refused", error: new TooLargeError(data.byteLength, options.commandBytesMax) };
  }
  return { type: "admitted", data };
}

/**
 * Rejects `pending` with the signal's reason when it aborts (at once if it already has), and
 * removes the listener once `pending` settles.
 */
export function watchSignal(signal: AbortSignal, pending: Pending<unknown>): void {
  if (signal.aborted) {
    pending.reject(signal.reason);
    return;
  }
  const onAbort = (): void => pending.reject(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  pending.onSettled(() => signal.removeEventListener("abort", onAbort));
}
