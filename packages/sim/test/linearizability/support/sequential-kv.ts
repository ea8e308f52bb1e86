/**
 * The obviously correct sequential key-value store the checker's tests compare against: one Map,
 * one operation at a time. Deliberately independent of the checker's own model (`kv-model.ts`),
 * so a bug there cannot hide behind the oracle.
 */
import type { KvOperation, KvOutput } from "../../../src/linearizability/history-operation.js";

/** Applies `input` to `store` and returns what a linearizable store would answer. */
export function applyToMap(store: Map<string, string>, input: KvOperation): KvOutput {
  switch (input.kind) {
    case "put":
      store.set(input.key, input.value);
      return { kind: "put" };
    case "delete":
      store.delete(input.key);
      return { kind: "delete" };
    case "get":
      return { kind: "get", value: store.get(input.key) };
    case "cas": {
      const ok = store.get(input.key) === input.expected;
      if (ok) store.set(input.key, input.value);
      return { kind: "cas", ok };
    }
  }
}
