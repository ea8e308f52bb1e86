/**
 * Hand-written histories with a known answer for the key-value linearizability checker: the
 * classic anomalies must be caught and named by key, and the legal overlaps must pass.
 */
import { describe, it, expect } from "vitest";
import { checkKvHistory } from "../../src/linearizability/kv-history.js";
import type { HistoryOperation } from "../../src/linearizability/history-operation.js";

type Time = number | undefined;

function put(
  clientId: string,
  key: string,
  value: string,
  call: number,
  ret: Time,
): HistoryOperation {
  return {
    clientId,
    input: { kind: "put", key, value },
    callTime: call,
    returnTime: ret,
    output: ret === undefined ? undefined : { kind: "put" },
  };
}

function get(
  clientId: string,
  key: string,
  seen: string | undefined,
  call: number,
  ret: Time,
): HistoryOperation {
  return {
    clientId,
    input: { kind: "get", key },
    callTime: call,
    returnTime: ret,
    output: ret === undefined ? undefined : { kind: "get", value: seen },
  };
}

function cas(
  clientId: string,
  key: string,
  expected: string | undefined,
  value: string,
  ok: boolean,
  call: number,
  ret: Time,
): HistoryOperation {
  return {
    clientId,
    input: { kind: "cas", key, expected, value },
    callTime: call,
    returnTime: ret,
    output: ret === undefined ? undefined : { kind: "cas", ok },
  };
}

function del(clientId: string, key: string, call: number, ret: Time): HistoryOperation {
  return {
    clientId,
    input: { kind: "delete", key },
    callTime: call,
    returnTime: ret,
    output: ret === undefined ? undefined : { kind: "delete" },
  };
}

describe("checkKvHistory accepts linearizable histories", () => {
  it("accepts the empty history", () => {
    expect(checkKvHistory([])).toEqual({ verdict: "linearizable", ok: true, incompleteKeys: [] });
  });

  it("accepts a sequential history of every operation kind", () => {
    const history = [
      get("a", "x", undefined, 0, 1),
      put("a", "x", "1", 2, 3),
      get("b", "x", "1", 4, 5),
      cas("b", "x", "1", "2", true, 6, 7),
      cas("a", "x", "1", "3", false, 8, 9),
      get("a", "x", "2", 10, 11),
      del("b", "x", 12, 13),
      get("a", "x", undefined, 14, 15),
      cas("a", "x", undefined, "4", true, 16, 17),
      get("b", "x", "4", 18, 19),
    ];
    expect(checkKvHistory(history)).toEqual({
      verdict: "linearizable",
      ok: true,
      incompleteKeys: [],
    });
  });

  it("accepts a read overlapping a put whether it sees the old or the new value", () => {
    const before = [put("a", "x", "old", 0, 1), put("a", "x", "new", 2, 10)];
    expect(checkKvHistory([...before, get("b", "x", "old", 3, 4)]).ok).toBe(true);
    expect(checkKvHistory([...before, get("b", "x", "new", 3, 4)]).ok).toBe(true);
  });

  it("accepts concurrent reads that see a concurrent put in either order of their calls", () => {
    const history = [
      put("a", "x", "1", 0, 1),
      put("a", "x", "2", 2, 20),
      get("b", "x", "2", 3, 10),
      get("c", "x", "1", 4, 12),
    ];
    expect(checkKvHistory(history).ok).toBe(true);
  });

  it("accepts a compare-and-set race that exactly one client wins", () => {
    const start = put("a", "x", "0", 0, 1);
    const bWins = [
      start,
      cas("b", "x", "0", "b", true, 2, 6),
      cas("c", "x", "0", "c", false, 3, 5),
      get("a", "x", "b", 7, 8),
    ];
    const cWins = [
      start,
      cas("b", "x", "0", "b", false, 2, 6),
      cas("c", "x", "0", "c", true, 3, 5),
      get("a", "x", "c", 7, 8),
    ];
    expect(checkKvHistory(bWins).ok).toBe(true);
    expect(checkKvHistory(cWins).ok).toBe(true);
  });

  it("accepts an unknown-outcome put whose value a later read observes", () => {
    const history = [
      put("a", "x", "1", 0, 1),
      put("b", "x", "2", 2, undefined),
      get("c", "x", "2", 50, 51),
    ];
    expect(checkKvHistory(history).ok).toBe(true);
  });

  it("accepts an unknown-outcome put that nobody ever observes", () => {
    const history = [
      put("a", "x", "1", 0, 1),
      put("b", "x", "2", 2, undefined),
      get("c", "x", "1", 5, 6),
      get("c", "x", "1", 70, 71),
    ];
    expect(checkKvHistory(history).ok).toBe(true);
  });

  it("accepts an unknown-outcome put observed only after reads that missed it", () => {
    const history = [
      put("b", "x", "2", 0, undefined),
      get("c", "x", undefined, 5, 6),
      get("c", "x", "2", 7, 8),
    ];
    expect(checkKvHistory(history).ok).toBe(true);
  });

  it("accepts unknown-outcome compare-and-set and delete in either fate", () => {
    const start = put("a", "x", "0", 0, 1);
    const casTook = [
      start,
      cas("b", "x", "0", "1", false, 2, undefined),
      get("a", "x", "1", 9, 10),
    ];
    const casLost = [
      start,
      cas("b", "x", "0", "1", false, 2, undefined),
      get("a", "x", "0", 9, 10),
    ];
    const deleteTook = [start, del("b", "x", 2, undefined), get("a", "x", undefined, 9, 10)];
    const deleteLost = [start, del("b", "x", 2, undefined), get("a", "x", "0", 9, 10)];
    for (const history of [casTook, casLost, deleteTook, deleteLost]) {
      expect(checkKvHistory(history).ok).toBe(true);
    }
  });

  it("ignores an unknown-outcome read, whatever it would have seen", () => {
    const history = [
      put("a", "x", "1", 0, 1),
      get("b", "x", undefined, 2, undefined),
      get("b", "y", undefined, 3, undefined),
    ];
    expect(checkKvHistory(history)).toEqual({
      verdict: "linearizable",
      ok: true,
      incompleteKeys: [],
    });
  });

  it("treats a return and a call at the same time as concurrent", () => {
    const history = [put("a", "x", "1", 0, 5), get("b", "x", undefined, 5, 6)];
    expect(checkKvHistory(history).ok).toBe(true);
  });

  it("checks keys independently of each other", () => {
    const history = [
      put("a", "x", "1", 0, 10),
      put("a", "y", "1", 0, 1),
      get("b", "y", "1", 2, 3),
      get("b", "x", undefined, 4, 5),
    ];
    expect(checkKvHistory(history).ok).toBe(true);
  });
});

describe("checkKvHistory rejects non-linearizable histories and names the key", () => {
  it("rejects a stale read after a completed write", () => {
    const history = [put("a", "x", "1", 0, 1), put("a", "x", "2", 2, 3), get("b", "x", "1", 4, 5)];
    const result = checkKvHistory(history);
    expect(result.ok).toBe(false);
    expect(result.key).toBe("x");
    expect(result.operations).toEqual(history);
    expect(result.explanation).toContain('key "x" is not linearizable');
    expect(result.explanation).toContain(
      'history[2] client b: get => "1" (called at 4, returned at 5)',
    );
  });

  it("rejects two reads that see values in an order contradicting real time", () => {
    const history = [
      put("a", "x", "1", 0, 1),
      put("a", "x", "2", 2, 20),
      get("b", "x", "2", 3, 4),
      get("c", "x", "1", 5, 6),
    ];
    const result = checkKvHistory(history);
    expect(result).toMatchObject({ ok: false, key: "x" });
    // The slow put may take effect late, so only the fast one contradicts the reads' order.
    expect(result.operations).toEqual([history[0], history[2], history[3]]);
  });

  it("rejects a read of a value never written, and blames that read alone", () => {
    const history = [
      put("a", "x", "1", 0, 1),
      get("b", "x", "ghost", 2, 3),
      get("b", "x", "1", 4, 5),
    ];
    const result = checkKvHistory(history);
    expect(result).toMatchObject({ ok: false, key: "x" });
    expect(result.operations).toEqual([history[1]]);
    expect(result.explanation).toContain("this 1 of its 3 operations has no valid order");
    expect(result.explanation).toContain("#1 cannot take effect before it returns at 3");
  });

  it("rejects a compare-and-set that succeeds on a value overwritten before it was called", () => {
    const history = [
      put("a", "x", "a", 0, 1),
      put("b", "x", "b", 2, 3),
      cas("c", "x", "a", "c", true, 4, 5),
    ];
    expect(checkKvHistory(history)).toMatchObject({ ok: false, key: "x" });
  });

  it("rejects an unknown-outcome put observed by a read that returned before the put was called", () => {
    const history = [get("a", "x", "1", 0, 1), put("b", "x", "1", 2, undefined)];
    expect(checkKvHistory(history)).toMatchObject({ ok: false, key: "x" });
  });

  it("rejects a read explained only by an identical unknown-outcome put called after it returned", () => {
    const history = [
      put("a", "x", "1", 0, undefined),
      get("b", "x", "1", 1, 2),
      put("b", "x", "2", 3, 4),
      get("b", "x", "1", 5, 6),
      put("c", "x", "1", 10, undefined),
    ];
    expect(checkKvHistory(history)).toMatchObject({ ok: false, key: "x" });
    expect(
      checkKvHistory(history.map((op, index) => (index === 4 ? { ...op, callTime: 5 } : op))).ok,
    ).toBe(true);
  });

  it("rejects a read called strictly after a put returned that misses it", () => {
    const history = [put("a", "x", "1", 0, 5), get("b", "x", undefined, 6, 7)];
    expect(checkKvHistory(history)).toMatchObject({ ok: false, key: "x" });
  });

  it("names the failing key among keys that are fine", () => {
    const history = [
      put("a", "x", "1", 0, 1),
      get("b", "x", "1", 2, 3),
      put("a", "y", "1", 0, 1),
      put("a", "y", "2", 2, 3),
      get("b", "y", "1", 4, 5),
      get("b", "z", undefined, 0, 1),
    ];
    expect(checkKvHistory(history)).toMatchObject({ ok: false, key: "y" });
  });

  it("shrinks a long failing history to the few operations that conflict", () => {
    const history: HistoryOperation[] = [];
    for (let step = 0; step < 40; step += 1) {
      history.push(put("a", "x", `v${step}`, 10 * step, 10 * step + 2));
      history.push(get("b", "x", `v${step}`, 10 * step + 3, 10 * step + 4));
    }
    const stale = get("c", "x", "v10", 205, 206);
    history.push(stale);
    const result = checkKvHistory(history);
    expect(result).toMatchObject({ ok: false, key: "x" });
    expect(result.operations).toContain(stale);
    expect(result.operations!.length).toBeLessThanOrEqual(4);
    expect(result.explanation).toContain("relaxing any one of them that way removes the conflict");
  });
});

describe("checkKvHistory bounds its search", () => {
  // Twelve concurrent puts and a read of a value none wrote: proving it wrong visits every
  // subset of the puts.
  const hard = [
    ...Array.from({ length: 12 }, (_, index) => put(`c${index}`, "x", `${index}`, 0, 100)),
    get("r", "x", "never", 101, 102),
  ];

  it("reports an exhausted state space as incomplete, never ok, instead of running on", () => {
    const result = checkKvHistory(hard, { maxStatesPerKey: 100 });
    expect(result).toMatchObject({
      verdict: "incomplete",
      ok: false,
      key: "x",
      incompleteKeys: ["x"],
    });
    expect(result.explanation).toContain("gave up after 100 states");
  });

  it("decides the same history within the default budget", () => {
    expect(checkKvHistory(hard)).toMatchObject({ ok: false, key: "x" });
  });
});

describe("checkKvHistory rejects malformed histories", () => {
  it("throws a RangeError for a return before the call", () => {
    expect(() => checkKvHistory([put("a", "x", "1", 5, 4)])).toThrow(RangeError);
  });

  it("throws a RangeError for an output without a return time", () => {
    const broken = { ...put("a", "x", "1", 0, 1), returnTime: undefined };
    expect(() => checkKvHistory([broken])).toThrow(/history\[0\]/);
  });

  it("throws a RangeError for an output of another kind than the input", () => {
    const broken: HistoryOperation = { ...put("a", "x", "1", 0, 1), output: { kind: "delete" } };
    expect(() => checkKvHistory([broken])).toThrow(RangeError);
  });

  it("throws a RangeError for a state budget that is not a positive integer", () => {
    expect(() => checkKvHistory([], { maxStatesPerKey: 0 })).toThrow(RangeError);
  });
});
