/**
 * The vocabulary of the linearizability search: the operations it takes, its bounds and its
 * three answers. An answer of "not linearizable" carries where the search got stuck, so callers
 * can explain it without searching again.
 */
import type { BudgetExhaustion, Deadline } from "./search-budget.js";

/**
 * One operation for the search. A completed operation took effect at some instant in
 * `[callTime, returnTime]`. An operation with `returnTime === Infinity` has an unknown outcome:
 * it may take effect at any instant after `callTime`, or never (the model gets its `output`,
 * normally `undefined`).
 */
export interface TimedOperation<Input, Output> {
  readonly input: Input;
  readonly output: Output | undefined;
  readonly callTime: number;
  readonly returnTime: number;
}

/** The three answers of the search. */
export const WglVerdict = {
  linearizable: "linearizable",
  notLinearizable: "not-linearizable",
  exhausted: "exhausted",
} as const;

/** One of `WglVerdict`'s values. */
export type WglVerdict = (typeof WglVerdict)[keyof typeof WglVerdict];

/** What the search found; operation ids are indexes into the array it was given. */
export type WglResult<State> =
  | {
      readonly verdict: typeof WglVerdict.linearizable;
      /** A witness order: every completed operation, plus the unknown ones placed among them. */
      readonly order: readonly number[];
      readonly visitedStates: number;
    }
  | {
      readonly verdict: typeof WglVerdict.notLinearizable;
      /** The order linearizing the most completed operations the search could build. */
      readonly longestPrefix: readonly number[];
      /** The model state after `longestPrefix`. */
      readonly stateAfterPrefix: State;
      /** The operation that had to take effect next (by its return) but could not. */
      readonly stuckOperation: number;
      readonly visitedStates: number;
    }
  | {
      readonly verdict: typeof WglVerdict.exhausted;
      readonly visitedStates: number;
      /** Which budget ran out. */
      readonly exhaustion: BudgetExhaustion;
    };

/** Bounds for one search. */
export interface WglOptions {
  /** The search stops with `exhausted` once its memo cache would hold more configurations. */
  readonly maxStates: number;
  /** When given, the search also stops with `exhausted` once this has expired. */
  readonly deadline?: Deadline;
}
