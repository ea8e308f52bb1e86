/**
 * `propose$`: a proposal as a cold Observable. Nothing is proposed until subscription; each
 * subscription proposes once; unsubscribing before the outcome aborts the wait.
 */
import { Observable } from "rxjs";
import type { RequestOptions } from "./group.js";

/** Wraps a `propose` function as a cold Observable of its result. */
export function coldPropose<Command, Result>(
  propose: (command: Command, options?: RequestOptions) => Promise<Result>,
  command: Command,
  options: RequestOptions = {},
): Observable<Result> {
  return new Observable<Result>((subscriber) => {
    const controller = new AbortController();
    const signal =
      options.signal === undefined
        ? controller.signal
        : AbortSignal.any([options.signal, controller.signal]);
    propose(command, { ...options, signal }).then(
      (result) => {
        subscriber.next(result);
        subscriber.complete();
      },
      (error: unknown) => subscriber.error(error),
    );
    return () => controller.abort(new Error("propose$ unsubscribed"));
  });
}
