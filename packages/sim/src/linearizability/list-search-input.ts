/**
 * Prepares one list key's operations for the search, with two rules that change no answer and
 * keep the search small. (1) The positions the model may rely on: a value appended by exactly
 * one operation and shown by some read at index `p` went onto a list of length `p`. (2) An
 * unknown-outcome append of a value no read shows is left out: had it taken effect, every later
 * read would show it, so it could only come after every read, where nothing observes it, which
 * is the same as never.
 */
import type { ListEntry } from "./list-failure-report.js";

/** What the search runs on: the entries kept, and the positions the model may rely on. */
export interface ListSearchInput {
  readonly entries: readonly ListEntry[];
  readonly positions: ReadonlyMap<string, number>;
}

/** The search's view of `entries` (one key's operations, unknown-outcome reads left out). */
export function toListSearch(entries: readonly ListEntry[]): ListSearchInput {
  const appendCounts = new Map<string, number>();
  const shown = new Map<string, number>();
  for (const { operation } of entries) {
    const { input, output } = operation;
    if (input.kind === "append") {
      appendCounts.set(input.value, (appendCounts.get(input.value) ?? 0) + 1);
    }
    if (output?.kind === "read-list") {
      output.values.forEach((value, index) => {
        if (!shown.has(value)) shown.set(value, index);
      });
    }
  }
  const positions = new Map<string, number>();
  for (const [value, index] of shown) {
    if (appendCounts.get(value) === 1) positions.set(value, index);
  }
  const kept = entries.filter(
    ({ operation: { input, returnTime } }) =>
      returnTime !== Infinity || input.kind !== "append" || shown.has(input.value),
  );
  return { entries: kept, positions };
}
