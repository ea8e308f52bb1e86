/**
 * The sequential specification of one list key: `append` adds a value at the end, `read-list`
 * returns the whole list (`[]` when the key is absent). The state is a persistent list that
 * shares its prefix with the state it grew from, so the search's memo holds each state in O(1)
 * space however long the list gets, and the hash of a state is computed once, when it is made.
 *
 * The model may know where values sit: a list only grows, so a value appended exactly once that
 * some read shows at index `p` was appended to a list of length `p`, in every linearization.
 * Refusing that append at any other length prunes orders that could never lead anywhere, which
 * turns concurrent appends from factorial to linear whenever reads pin their order.
 */
import { accepted, REFUSED, type Model, type StepResult } from "./model.js";

/** A list operation; values are canonical encodings (`canonicalValue`). */
export type ListOperation =
  { readonly kind: "append"; readonly value: string } | { readonly kind: "read-list" };

/** What the store answered; `kind` matches the request's `kind`. */
export type ListOutput =
  { readonly kind: "append" } | { readonly kind: "read-list"; readonly values: readonly string[] };

/** A non-empty list: its last value and the list before it. */
export interface ListNode {
  readonly last: string;
  readonly before: ListState;
  readonly length: number;
  readonly hash: number;
}

/** A list; `undefined` is the empty list. */
export type ListState = ListNode | undefined;

const EMPTY_HASH = 0x2545f491;

/** The list object with append and read-list, knowing no positions. */
export const listKeyModel: Model<ListState, ListOperation, ListOutput> = listModel(new Map());

/**
 * The list object with append and read-list, where `positions` maps a value to the length the
 * list had when it was appended.
 *
 * Contract: every position given holds in every linearization (see the file's comment: a value
 * appended once, at the index a read shows it), so refusing other lengths changes no answer.
 */
export function listModel(
  positions: ReadonlyMap<string, number>,
): Model<ListState, ListOperation, ListOutput> {
  return {
    init: () => undefined,
    step: (state, input, output) => {
      if (input.kind === "append") {
        const position = positions.get(input.value);
        if (position !== undefined && position !== (state?.length ?? 0)) return REFUSED;
      }
      return stepList(state, input, output);
    },
    equals: sameList,
    hash: (state) => state?.hash ?? EMPTY_HASH,
    describeState: (state) => describeList(listValues(state)),
    unknownOutcomeHints: {
      // Two appends of one value act identically on every list.
      inputKey: (input) => (input.kind === "append" ? `append ${input.value}` : "read-list"),
    },
  };
}

function stepList(
  state: ListState,
  input: ListOperation,
  output: ListOutput | undefined,
): StepResult<ListState> {
  switch (input.kind) {
    case "append":
      if (output !== undefined && output.kind !== "append") return REFUSED;
      return accepted(appendTo(state, input.value));
    case "read-list":
      if (output === undefined) return accepted(state);
      return output.kind === "read-list" && listEquals(state, output.values)
        ? accepted(state)
        : REFUSED;
  }
}

/** `state` with `value` appended. */
export function appendTo(state: ListState, value: string): ListNode {
  const hash = Math.imul((state?.hash ?? EMPTY_HASH) ^ hashString(value), 0x01000193) >>> 0;
  return { last: value, before: state, length: (state?.length ?? 0) + 1, hash };
}

/** The values of `state`, first to last. */
export function listValues(state: ListState): string[] {
  const values: string[] = [];
  for (let node = state; node !== undefined; node = node.before) values.push(node.last);
  return values.reverse();
}

/** A list for explanations: JSON, the first and last few values of a long one. */
export function describeList(values: readonly string[]): string {
  const shown = 8;
  if (values.length <= 2 * shown) return JSON.stringify(values);
  const head = JSON.stringify(values.slice(0, shown)).slice(0, -1);
  const tail = JSON.stringify(values.slice(-shown)).slice(1);
  return `${head}, … ${values.length - 2 * shown} more …, ${tail}`;
}

function sameList(a: ListState, b: ListState): boolean {
  let [left, right] = [a, b];
  // Walks back until the two share a node; shared prefixes make equal lists cheap to compare.
  while (left !== right) {
    if (left === undefined || right === undefined) return false;
    if (left.length !== right.length || left.hash !== right.hash || left.last !== right.last) {
      return false;
    }
    [left, right] = [left.before, right.before];
  }
  return true;
}

function listEquals(state: ListState, values: readonly string[]): boolean {
  if ((state?.length ?? 0) !== values.length) return false;
  let index = values.length - 1;
  for (let node = state; node !== undefined; node = node.before, index--) {
    if (node.last !== values[index]) return false;
  }
  return true;
}

/** FNV-1a over the UTF-16 code units. */
function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
