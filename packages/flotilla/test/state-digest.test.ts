/**
 * The state digest (state-digest.ts) and the canonical snapshots it relies on: replicas that
 * reach the same state by any path report the same digest; any difference in state changes it.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KvStateMachine } from "../src/kinds/kv-state-machine.js";
import { LogStateMachine } from "../src/kinds/log-state-machine.js";
import { stateDigest } from "../src/state-digest.js";

const entries = fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.integer(), fc.string()), {
  maxKeys: 20,
});

function kvFrom(pairs: readonly (readonly [string, unknown])[]): KvStateMachine {
  const kv = new KvStateMachine();
  for (const [key, value] of pairs) kv.apply({ op: "put", key, value });
  return kv;
}

describe("stateDigest", () => {
  it("is the hex SHA-256 of the bytes", () => {
    expect(stateDigest(new Uint8Array())).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  });

  it("kv: the same map put in any order has the same digest", () => {
    fc.assert(
      fc.property(entries, (map) => {
        const pairs = Object.entries(map);
        const forward = kvFrom(pairs);
        const backward = kvFrom([...pairs].reverse());
        expect(stateDigest(backward.snapshot())).toBe(stateDigest(forward.snapshot()));
      }),
    );
  });

  it("kv: a restored replica has the digest of the one it was restored from", () => {
    fc.assert(
      fc.property(entries, (map) => {
        const original = kvFrom(Object.entries(map));
        const restored = new KvStateMachine();
        restored.restore(original.snapshot());
        expect(stateDigest(restored.snapshot())).toBe(stateDigest(original.snapshot()));
      }),
    );
  });

  it("kv: one more key changes the digest", () => {
    const before = kvFrom([["a", 1]]);
    const after = kvFrom([
      ["a", 1],
      ["b", 2],
    ]);
    expect(stateDigest(after.snapshot())).not.toBe(stateDigest(before.snapshot()));
  });

  it("log: the same records in the same order have the same digest, another order not", () => {
    const one = new LogStateMachine();
    const two = new LogStateMachine();
    const other = new LogStateMachine();
    for (const record of ["x", "y"]) {
      one.apply(record);
      two.apply(record);
    }
    for (const record of ["y", "x"]) other.apply(record);
    expect(stateDigest(two.snapshot())).toBe(stateDigest(one.snapshot()));
    expect(stateDigest(other.snapshot())).not.toBe(stateDigest(one.snapshot()));
  });
});
