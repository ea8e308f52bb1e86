/**
 * The built-in `kv` kind (kv-state-machine.ts): put, delete and compare-and-swap commands, get
 * and scan queries, a snapshot that restores the same map, and bad commands refused with a
 * TypeError — the same on every replica, leaving the state untouched.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KvStateMachine } from "../../src/kinds/kv-state-machine.js";

function kvWith(entries: Record<string, unknown>): KvStateMachine {
  const kv = new KvStateMachine();
  for (const [key, value] of Object.entries(entries)) kv.apply({ op: "put", key, value });
  return kv;
}

describe("kv: commands", () => {
  it("put stores a value and returns null for a new key", () => {
    const kv = new KvStateMachine();
    expect(kv.apply({ op: "put", key: "a", value: 1 })).toBeNull();
    expect(kv.query({ op: "get", key: "a" })).toBe(1);
  });

  it("put returns the previous value", () => {
    const kv = kvWith({ a: "old" });
    expect(kv.apply({ op: "put", key: "a", value: "new" })).toBe("old");
    expect(kv.query({ op: "get", key: "a" })).toBe("new");
  });

  it("delete removes a key and says whether it existed", () => {
    const kv = kvWith({ a: 1 });
    expect(kv.apply({ op: "delete", key: "a" })).toBe(true);
    expect(kv.apply({ op: "delete", key: "a" })).toBe(false);
    expect(kv.query({ op: "get", key: "a" })).toBeNull();
  });

  it("cas swaps when the current value equals expected", () => {
    const kv = kvWith({ a: { n: 1 } });
    expect(kv.apply({ op: "cas", key: "a", expected: { n: 1 }, value: { n: 2 } })).toBe(true);
    expect(kv.query({ op: "get", key: "a" })).toEqual({ n: 2 });
  });

  it("cas leaves the value when it differs from expected", () => {
    const kv = kvWith({ a: 1 });
    expect(kv.apply({ op: "cas", key: "a", expected: 2, value: 3 })).toBe(false);
    expect(kv.query({ op: "get", key: "a" })).toBe(1);
  });

  // BUG (kv-state-machine.ts `sameValue`): values are compared with JSON.stringify, so two equal
  // maps with their keys in another order differ — and a client whose msgpack library writes map
  // keys in no fixed order (Go maps) sees cas fail at random. Deterministic on every replica, but
  // wrong. Fix: a structural deep-equal (maps by key set, arrays by element, bins by bytes).
  it("cas compares maps by content, not by key order", () => {
    const kv = kvWith({ a: { x: 1, y: 2 } });
    expect(kv.apply({ op: "cas", key: "a", expected: { y: 2, x: 1 }, value: 3 })).toBe(true);
  });

  it("cas with expected null creates an absent key only", () => {
    const kv = kvWith({ taken: 1 });
    expect(kv.apply({ op: "cas", key: "free", expected: null, value: "x" })).toBe(true);
    expect(kv.apply({ op: "cas", key: "taken", expected: null, value: "x" })).toBe(false);
    expect(kv.query({ op: "get", key: "taken" })).toBe(1);
  });
});

describe("kv: queries", () => {
  it("get returns null for an absent key", () => {
    expect(new KvStateMachine().query({ op: "get", key: "nope" })).toBeNull();
  });

  it("scan returns [key, value] pairs with the prefix, in key order", () => {
    const kv = kvWith({ "user:2": "b", "order:1": "x", "user:1": "a", "user:10": "c" });
    expect(kv.query({ op: "scan", prefix: "user:" })).toEqual([
      ["user:1", "a"],
      ["user:10", "c"],
      ["user:2", "b"],
    ]);
  });

  it("scan returns at most limit pairs", () => {
    const kv = kvWith({ a: 1, b: 2, c: 3 });
    expect(kv.query({ op: "scan", prefix: "", limit: 2 })).toEqual([
      ["a", 1],
      ["b", 2],
    ]);
  });

  it("refuses an unknown query with a TypeError", () => {
    expect(() => new KvStateMachine().query({ op: "count" })).toThrow(TypeError);
    expect(() => new KvStateMachine().query("get")).toThrow(TypeError);
  });
});

describe("kv: bad commands", () => {
  const bad: readonly [string, unknown][] = [
    ["not a map", "put a 1"],
    ["null", null],
    ["a missing key", { op: "put", value: 1 }],
    ["a key that is not a string", { op: "put", key: 7, value: 1 }],
    ["an unknown op", { op: "increment", key: "a" }],
    ["no op", { key: "a" }],
  ];
  for (const [what, command] of bad) {
    it(`refuses ${what} with a TypeError, the same every time, state untouched`, () => {
      const kv = kvWith({ a: 1 });
      const before = kv.snapshot();
      const messages = [0, 1].map(() => {
        try {
          kv.apply(command);
        } catch (error) {
          expect(error).toBeInstanceOf(TypeError);
          return (error as Error).message;
        }
        throw new Error("expected a TypeError");
      });
      expect(messages[0]).toBe(messages[1]);
      expect(kv.snapshot()).toEqual(before);
    });
  }
});

describe("kv: snapshots", () => {
  it("restore of a snapshot gives the same map", () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string(),
          fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant(null)),
        ),
        (entries) => {
          const kv = kvWith(entries);
          const copy = new KvStateMachine();
          copy.restore(kv.snapshot());
          expect(new Map(copy.values)).toEqual(new Map(kv.values));
        },
      ),
    );
  });

  it("writes the same snapshot bytes whatever the order of puts", () => {
    const one = kvWith({ a: 1, b: 2, c: 3 });
    const other = kvWith({ c: 3, a: 1, b: 2 });
    expect(one.snapshot()).toEqual(other.snapshot());
  });

  it("restore replaces the whole state", () => {
    const kv = kvWith({ stale: 1 });
    kv.restore(kvWith({ fresh: 2 }).snapshot());
    expect([...kv.values]).toEqual([["fresh", 2]]);
  });

  it("restore of an empty snapshot clears the map", () => {
    const kv = kvWith({ a: 1 });
    kv.restore(new Uint8Array());
    expect(kv.values.size).toBe(0);
  });
});
