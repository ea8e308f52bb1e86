/**
 * The sequential specification of one key of the key-value store: the state is the key's value,
 * `undefined` when absent. Checking key by key is sound because operations on different keys
 * commute (Porcupine's partitioned KV model), so a history is linearizable iff each key's
 * sub-history is.
 */
import type { KvOperation, KvOutput } from "./history-operation.js";
import { accepted, REFUSED, type Model, type StepResult } from "./model.js";

/** The value one key holds; `undefined` = absent. */
export type KvKeyState = string | undefined;

/** The single-key register with put, get, compare-and-set and delete. */
export const kvKeyModel: Model<KvKeyState, KvOperation, KvOutput> = {
  init: () => undefined,
  step: stepKv,
  equals: (a, b) => a === b,
  hash: hashKvState,
  describeState: (state) => (state === undefined ? "absent" : JSON.stringify(state)),
  unknownOutcomeHints: {
    inputKey: kvInputKey,
    isBlindWrite: (input) => input.kind === "put" || input.kind === "delete",
    enablingState: (input) => (input.kind === "cas" ? { state: input.expected } : undefined),
  },
};

function stepKv(
  state: KvKeyState,
  input: KvOperation,
  output: KvOutput | undefined,
): StepResult<KvKeyState> {
  switch (input.kind) {
    case "put":
      return accepted(input.value);
    case "delete":
      return accepted(undefined);
    case "get":
      if (output === undefined) return accepted(state);
      return output.kind === "get" && output.value === state ? accepted(state) : REFUSED;
    case "cas": {
      const swaps = state === input.expected;
      if (output !== undefined && (output.kind !== "cas" || output.ok !== swaps)) return REFUSED;
      return accepted(swaps ? input.value : state);
    }
  }
}

function kvInputKey(input: KvOperation): string {
  switch (input.kind) {
    case "put":
      return JSON.stringify(["put", input.key, input.value]);
    case "get":
    case "delete":
      return JSON.stringify([input.kind, input.key]);
    case "cas":
      // `null` stands for an absent expected value; a string "null" is quoted, so distinct.
      return JSON.stringify(["cas", input.key, input.expected ?? null, input.value]);
  }
}

/** FNV-1a over the UTF-16 code units; absent hashes apart from every string's usual range. */
function hashKvState(state: KvKeyState): number {
  if (state === undefined) return 0x9e3779b9;
  let hash = 0x811c9dc5;
  for (let index = 0; index < state.length; index += 1) {
    hash ^= state.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
