/**
 * The shape of a recorded client history for the key-value linearizability checker. An entry is
 * either completed (`returnTime` and `output` both present) or of unknown outcome (both absent);
 * `validateHistory` rejects anything in between.
 */

/** One client request against the key-value store. */
export type KvOperation =
  | { readonly kind: "put"; readonly key: string; readonly value: string }
  | { readonly kind: "get"; readonly key: string }
  | {
      readonly kind: "cas";
      readonly key: string;
      /** The value the key must hold for the swap; `undefined` means the key must be absent. */
      readonly expected: string | undefined;
      readonly value: string;
    }
  | { readonly kind: "delete"; readonly key: string };

/** What the store answered; `kind` matches the request's `kind`. */
export type KvOutput =
  | { readonly kind: "put" | "delete" }
  | { readonly kind: "get"; readonly value: string | undefined }
  | { readonly kind: "cas"; readonly ok: boolean };

/**
 * One operation of a history.
 *
 * Times are logical (simulator steps). A completed operation took effect atomically at some
 * instant in `[callTime, returnTime]`. Operation A happens before operation B (so A must be
 * ordered first) only when `A.returnTime < B.callTime` strictly: an operation that returns at
 * the same step another is called is concurrent with it.
 */
export interface HistoryOperation {
  readonly clientId: string;
  readonly input: KvOperation;
  /** The logical time (simulator step) at which the client invoked the operation. */
  readonly callTime: number;
  /**
   * `undefined` = outcome unknown (timed out, leader lost, client crashed): the operation may or
   * may not have taken effect, at any point after `callTime`.
   */
  readonly returnTime: number | undefined;
  /** Present iff `returnTime` is present. */
  readonly output: KvOutput | undefined;
}

/**
 * Checks that every operation is well formed: finite times, `callTime <= returnTime`, `output`
 * present exactly when `returnTime` is, and an output of the same kind as the input.
 *
 * @throws {RangeError} naming the first malformed operation (its index and client).
 */
export function validateHistory(history: readonly HistoryOperation[]): void {
  history.forEach((operation, index) => {
    const problem = problemWith(operation);
    if (problem !== undefined) {
      throw new RangeError(
        `history[${index}] (client ${operation.clientId}, ${operation.input.kind}): ${problem}`,
      );
    }
  });
}

function problemWith(operation: HistoryOperation): string | undefined {
  const { callTime, returnTime, output, input } = operation;
  if (!Number.isFinite(callTime)) return `callTime ${callTime} is not a finite number`;
  if (returnTime === undefined) {
    return output === undefined ? undefined : "an output without a returnTime";
  }
  if (!Number.isFinite(returnTime)) return `returnTime ${returnTime} is not a finite number`;
  if (returnTime < callTime) return `returnTime ${returnTime} is before callTime ${callTime}`;
  if (output === undefined) return "a returnTime without an output";
  if (output.kind !== input.kind) return `a ${output.kind} output for a ${input.kind} input`;
  return undefined;
}
