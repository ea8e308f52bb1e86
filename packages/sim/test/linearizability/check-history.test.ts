/**
 * `checkHistory` on small hand-made histories: the list model's orders, its two classic
 * failures (a read missing an acknowledged append, a read showing an append never called),
 * registers with unknown outcomes, exact big times, and budgets that end a search as
 * `incomplete`, never as a pass.
 */
import { describe, expect, it } from "vitest";
import { checkHistory } from "../../src/linearizability/check-history.js";
import type { HistoryRecord, JsonValue } from "../../src/linearizability/history-record.js";
import { MalformedHistoryError } from "../../src/linearizability/malformed-history-error.js";

const KEY = "g1/l";

function append(client: number, value: string, call: number, ret: number | null): HistoryRecord {
  return { client, key: KEY, op: "append", value, call, return: ret };
}

function read(client: number, output: string[], call: number, ret: number): HistoryRecord {
  return { client, key: KEY, op: "read-list", output, call, return: ret };
}

function put(client: number, value: JsonValue, call: number, ret: number | null): HistoryRecord {
  return { client, key: "g1/x", op: "put", value, call, return: ret };
}

function get(client: number, output: JsonValue, call: number, ret: number): HistoryRecord {
  return { client, key: "g1/x", op: "get", output, call, return: ret };
}

function cas(
  client: number,
  expected: JsonValue,
  value: JsonValue,
  output: boolean | null,
  call: number,
  ret: number | null,
): HistoryRecord {
  return { client, key: "g1/x", op: "cas", expected, value, output, call, return: ret };
}

describe("checkHistory, list keys", () => {
  it("accepts sequential appends read back in order, and [] before any append", () => {
    const result = checkHistory([
      read(1, [], 0, 1),
      append(1, "a", 2, 3),
      append(2, "b", 4, 5),
      read(3, ["a", "b"], 6, 7),
    ]);
    expect(result).toEqual({ verdict: "linearizable", keys: 1, operations: 4, incompleteKeys: [] });
  });

  it("rejects a read that shows sequential appends in the wrong order", () => {
    const result = checkHistory([
      append(1, "a", 0, 1),
      append(2, "b", 2, 3),
      read(3, ["b", "a"], 4, 5),
    ]);
    expect(result.verdict).toBe("not-linearizable");
    expect(result.failure?.key).toBe(KEY);
  });

  it("accepts concurrent appends in either order, but every read must agree on one", () => {
    const concurrent = [append(1, "a", 0, 10), append(2, "b", 0, 10)];
    expect(checkHistory([...concurrent, read(3, ["a", "b"], 11, 12)]).verdict).toBe("linearizable");
    expect(checkHistory([...concurrent, read(3, ["b", "a"], 11, 12)]).verdict).toBe("linearizable");
    const disagreeing = [...concurrent, read(3, ["b", "a"], 11, 12), read(4, ["a", "b"], 13, 14)];
    expect(checkHistory(disagreeing).verdict).toBe("not-linearizable");
  });

  it("accepts a read during an append that sees it or not", () => {
    const during = (seen: string[]) => [append(1, "a", 0, 10), read(2, seen, 5, 6)];
    expect(checkHistory(during([])).verdict).toBe("linearizable");
    expect(checkHistory(during(["a"])).verdict).toBe("linearizable");
  });

  it("rejects a read that misses an acknowledged append, and says which", () => {
    const result = checkHistory([append(1, "a", 0, 1), append(2, "b", 2, 3), read(3, ["b"], 4, 5)]);
    expect(result.verdict).toBe("not-linearizable");
    expect(result.failure?.explanation).toContain(
      'It misses "a", appended by history[0], acknowledged at 1 before the read was called at 4.',
    );
  });

  it("rejects a read that shows an append that was never called, and says which", () => {
    const result = checkHistory([append(1, "a", 0, 1), read(3, ["a", "ghost"], 4, 5)]);
    expect(result.verdict).toBe("not-linearizable");
    expect(result.failure?.explanation).toContain(
      'It shows "ghost" 1 time(s), but only 0 append(s) of it were called before it returned.',
    );
  });

  it("rejects a read that shows an append called only after the read returned", () => {
    const result = checkHistory([read(3, ["late"], 0, 1), append(1, "late", 2, 3)]);
    expect(result.verdict).toBe("not-linearizable");
  });

  it("lets an unknown-outcome append take effect late or never", () => {
    const lost = [append(1, "a", 0, null), read(2, [], 5, 6), read(3, [], 7, 8)];
    expect(checkHistory(lost).verdict).toBe("linearizable");
    const late = [append(1, "a", 0, null), read(2, [], 5, 6), read(3, ["a"], 7, 8)];
    expect(checkHistory(late).verdict).toBe("linearizable");
    const notBeforeItsCall = [read(2, ["a"], 0, 1), append(1, "a", 2, null)];
    expect(checkHistory(notBeforeItsCall).verdict).toBe("not-linearizable");
  });

  it("rejects a value read twice when it was appended once", () => {
    const result = checkHistory([append(1, "a", 0, 1), read(2, ["a", "a"], 2, 3)]);
    expect(result.verdict).toBe("not-linearizable");
  });

  it("drops an unknown-outcome read, whatever it claims", () => {
    const unknownRead: HistoryRecord = {
      client: 2,
      key: KEY,
      op: "read-list",
      call: 2,
      return: null,
    };
    const result = checkHistory([append(1, "a", 0, 1), unknownRead]);
    expect(result).toEqual({ verdict: "linearizable", keys: 1, operations: 2, incompleteKeys: [] });
  });

  it("compares non-string values as JSON, object members in any order", () => {
    const records: HistoryRecord[] = [
      { client: 1, key: KEY, op: "append", value: { a: 1, b: [2] }, call: 0, return: 1 },
      { client: 2, key: KEY, op: "read-list", output: [{ b: [2], a: 1 }], call: 2, return: 3 },
    ];
    expect(checkHistory(records).verdict).toBe("linearizable");
    const numberForString: HistoryRecord[] = [
      { client: 1, key: KEY, op: "append", value: 1, call: 0, return: 1 },
      { client: 2, key: KEY, op: "read-list", output: ["1"], call: 2, return: 3 },
    ];
    expect(checkHistory(numberForString).verdict).toBe("not-linearizable");
  });
});

describe("checkHistory, register keys with unknown outcomes", () => {
  it("accepts a read of an unknown-outcome put, or of the value before it", () => {
    expect(checkHistory([put(1, "a", 0, 1), put(2, "b", 2, null), get(3, "b", 5, 6)]).verdict).toBe(
      "linearizable",
    );
    expect(checkHistory([put(1, "a", 0, 1), put(2, "b", 2, null), get(3, "a", 5, 6)]).verdict).toBe(
      "linearizable",
    );
  });

  it("rejects reads that see an unknown-outcome put and then lose it", () => {
    const history = [put(1, "a", 0, 1), put(2, "b", 2, null), get(3, "b", 5, 6), get(3, "a", 7, 8)];
    expect(checkHistory(history).verdict).toBe("not-linearizable");
  });

  it("lets an unknown-outcome cas have swapped or not", () => {
    const before = [put(1, "a", 0, 1), cas(2, "a", "b", null, 2, null)];
    expect(checkHistory([...before, get(3, "b", 5, 6)]).verdict).toBe("linearizable");
    expect(checkHistory([...before, get(3, "a", 5, 6)]).verdict).toBe("linearizable");
    expect(checkHistory([...before, get(3, "c", 5, 6)]).verdict).toBe("not-linearizable");
  });

  it("treats a cas expecting null as expecting an absent key", () => {
    const history = [
      cas(1, null, "a", true, 0, 1),
      cas(2, null, "b", false, 2, 3),
      get(3, "a", 4, 5),
    ];
    expect(checkHistory(history).verdict).toBe("linearizable");
    expect(checkHistory([cas(1, null, "a", false, 0, 1)]).verdict).toBe("not-linearizable");
  });

  it("rejects a stale read and explains it with the key and the times", () => {
    const result = checkHistory([put(1, "a", 0, 1), put(2, "b", 2, 3), get(3, "a", 4, 5)]);
    expect(result.verdict).toBe("not-linearizable");
    expect(result.failure?.key).toBe("g1/x");
    expect(result.failure?.explanation).toContain('key "g1/x" is not linearizable');
    expect(result.failure?.explanation).toContain(
      "Times are nanoseconds after the history's first call",
    );
  });

  it("stops at the first failing key and counts every key and record", () => {
    const result = checkHistory([
      put(1, "a", 0, 1),
      get(3, null, 4, 5),
      append(1, "v", 0, 1),
      read(2, [], 2, 3),
    ]);
    expect(result).toMatchObject({ verdict: "not-linearizable", keys: 2, operations: 4 });
    expect(result.failure?.key).toBe("g1/x");
  });
});

describe("checkHistory, exact times", () => {
  it("orders times past 2^53 exactly: 1 ns apart is still apart", () => {
    const base = 2n ** 60n;
    const at = (offset: bigint): string => (base + offset).toString();
    const records: HistoryRecord[] = [
      { client: 1, key: KEY, op: "append", value: "a", call: at(0n), return: at(1n) },
      { client: 2, key: KEY, op: "read-list", output: [], call: at(2n), return: at(3n) },
    ];
    // As doubles, base+1 and base+2 are equal, and a read concurrent with the append could miss it.
    expect(checkHistory(records).verdict).toBe("not-linearizable");
    const ranked: HistoryRecord[] = [...records, { ...put(1, "z", 0, 1) }];
    expect(checkHistory(ranked).verdict).toBe("not-linearizable");
    expect(checkHistory(ranked).failure?.explanation).toContain("Times are ranks");
  });

  it("rejects a record with an unsafe number time instead of rounding it", () => {
    expect(() => checkHistory([put(1, "a", 2 ** 60, 2 ** 60 + 1)])).toThrow(MalformedHistoryError);
    expect(() => checkHistory([put(1, "a", 2 ** 60, 2 ** 60 + 1)])).toThrow(
      /^history\[0\]: call must be/,
    );
  });
});

describe("checkHistory budgets: a search that runs out is incomplete, never a pass", () => {
  // Fourteen concurrent appends and a read of a value none appended: proving it wrong visits
  // every subset (and order) of the appends.
  const hard = [
    ...Array.from({ length: 14 }, (_, index) => append(index, `v${index}`, 0, 100)),
    read(99, ["never"], 101, 102),
  ];

  it("a tiny state budget gives incomplete with the key", () => {
    const result = checkHistory(hard, { maxStatesPerKey: 50 });
    expect(result).toEqual({
      verdict: "incomplete",
      keys: 1,
      operations: 15,
      incompleteKeys: [KEY],
    });
  });

  it("an expired time budget gives incomplete with the key", () => {
    // A clock that jumps a second per reading: the deadline has passed at the first look.
    let nowMs = 0;
    const result = checkHistory(hard, { budgetMsPerKey: 1, nowMs: () => (nowMs += 1_000) });
    expect(result).toMatchObject({ verdict: "incomplete", incompleteKeys: [KEY] });
  });

  it("a linearizable history past its budget is incomplete too, not linearizable", () => {
    const manyConcurrent = [
      ...Array.from({ length: 14 }, (_, index) => append(index, `v${index}`, 0, 100)),
      read(
        99,
        Array.from({ length: 14 }, (_, index) => `v${13 - index}`),
        101,
        102,
      ),
    ];
    expect(checkHistory(manyConcurrent, { maxStatesPerKey: 5 }).verdict).toBe("incomplete");
    expect(checkHistory(manyConcurrent).verdict).toBe("linearizable");
  });

  it("a failure on another key still wins over an incomplete key", () => {
    const result = checkHistory([...hard, put(1, "a", 0, 1), get(2, "b", 2, 3)], {
      maxStatesPerKey: 50,
    });
    expect(result).toMatchObject({ verdict: "not-linearizable", incompleteKeys: [KEY] });
    expect(result.failure?.key).toBe("g1/x");
  });

  it("refuses budgets that are not positive", () => {
    expect(() => checkHistory([], { budgetMsPerKey: 0 })).toThrow(RangeError);
    expect(() => checkHistory([], { maxStatesPerKey: 0 })).toThrow(RangeError);
  });
});
