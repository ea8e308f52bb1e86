/**
 * The sequential specification the linearizability search checks a history against, in the
 * shape of Porcupine's `Model`. `step` must be a pure function of its arguments: the search
 * memoizes on `(linearized set, state)` and relies on equal states behaving identically.
 */

/** What applying one operation to a state gave: the next state, or a refusal. */
export type StepResult<State> =
  { readonly accepted: true; readonly state: State } | { readonly accepted: false };

/**
 * Facts about inputs that let the search prune unknown-outcome operations, which otherwise may
 * be placed anywhere after their call. Each is optional; leaving one out only costs time.
 */
export interface UnknownOutcomeHints<State, Input> {
  /**
   * A string equal for two inputs only when they act identically on every state (a put of the
   * same value to the same key). Identical unknown operations are then used in call order only.
   */
  readonly inputKey?: (input: Input) => string;
  /**
   * Whether the state after `input` never depends on the state before (a put, a delete). Then
   * placing it right after another unknown operation is never needed.
   */
  readonly isBlindWrite?: (input: Input) => boolean;
  /**
   * For an input that changes nothing unless the state is one particular state (a
   * compare-and-set and its expected value), that state; otherwise `undefined`. Then the
   * unknown operation is only tried in that state.
   */
  readonly enablingState?: (input: Input) => { readonly state: State } | undefined;
}

/**
 * A sequential object: an initial state and a transition that says whether an operation could
 * have produced the output it did.
 *
 * Contract: `equals(a, b)` implies `hash(a) === hash(b)`; `step` never mutates `state`; the
 * hints, when given, are true of `step`.
 */
export interface Model<State, Input, Output> {
  /** The state before any operation. */
  readonly init: () => State;
  /**
   * Applies `input` to `state`. `output === undefined` means the outcome is unknown: any output
   * the operation could give is acceptable, and the state moves as the operation would move it.
   */
  readonly step: (state: State, input: Input, output: Output | undefined) => StepResult<State>;
  /** State equality, for the memo cache. */
  readonly equals: (a: State, b: State) => boolean;
  /** A 32-bit hash of a state, consistent with `equals`. */
  readonly hash: (state: State) => number;
  /** A short rendering of a state for explanations. */
  readonly describeState: (state: State) => string;
  /** Pruning facts for unknown-outcome operations. */
  readonly unknownOutcomeHints?: UnknownOutcomeHints<State, Input>;
}

/** The transition result for a refused step (shared: it carries no data). */
export const REFUSED: StepResult<never> = { accepted: false };

/** The transition result for an accepted step into `state`. */
export function accepted<State>(state: State): StepResult<State> {
  return { accepted: true, state };
}
