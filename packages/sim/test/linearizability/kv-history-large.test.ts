/**
 * A history of realistic size for the key-value linearizability checker: ten keys, three
 * sequential clients per key, three hundred operations per key, recorded from a real execution
 * with jittered intervals. The checker must accept it (time is never asserted).
 */
import { describe, it, expect } from "vitest";
import { checkKvHistory } from "../../src/linearizability/kv-history.js";
import type {
  HistoryOperation,
  KvOperation,
  KvOutput,
} from "../../src/linearizability/history-operation.js";
import { applyToMap } from "./support/sequential-kv.js";

/** Mulberry32: a tiny seeded generator, so the history is the same on every run. */
function seededUnit(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), state | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface Planned {
  readonly clientId: string;
  readonly input: KvOperation;
  readonly callTime: number;
  readonly returnTime: number;
  /** The instant it takes effect, inside `[callTime, returnTime]`. */
  readonly point: number;
  readonly fate: "completed" | "applied-unknown" | "lost-unknown";
}

function randomInput(unit: () => number, key: string, serial: number): KvOperation {
  const roll = unit();
  const value = `v${serial}`;
  if (roll < 0.35) return { kind: "put", key, value };
  if (roll < 0.75) return { kind: "get", key };
  if (roll < 0.9)
    return {
      kind: "cas",
      key,
      expected: `v${Math.max(0, serial - 1 - Math.floor(unit() * 4))}`,
      value,
    };
  return { kind: "delete", key };
}

/** Plans each client's operations back to back, then executes them in order of their points. */
function recordedHistory(
  seed: number,
  keyCount: number,
  clientsPerKey: number,
  opsPerClient: number,
): HistoryOperation[] {
  const unit = seededUnit(seed);
  const planned: Planned[] = [];
  let serial = 0;
  for (let key = 0; key < keyCount; key += 1) {
    for (let client = 0; client < clientsPerKey; client += 1) {
      let clock = Math.floor(unit() * 10);
      for (let step = 0; step < opsPerClient; step += 1) {
        const callTime = clock + Math.floor(unit() * 5);
        const returnTime = callTime + 1 + Math.floor(unit() * 20);
        const point = callTime + unit() * (returnTime - callTime);
        const fateRoll = unit();
        const fate =
          fateRoll < 0.03 ? "applied-unknown" : fateRoll < 0.06 ? "lost-unknown" : "completed";
        serial += 1;
        planned.push({
          clientId: `k${key}c${client}`,
          input: randomInput(unit, `k${key}`, serial),
          callTime,
          returnTime,
          point,
          fate,
        });
        clock = returnTime;
      }
    }
  }
  const store = new Map<string, string>();
  const outputs = new Map<Planned, KvOutput>();
  for (const op of [...planned].sort((a, b) => a.point - b.point)) {
    if (op.fate !== "lost-unknown") outputs.set(op, applyToMap(store, op.input));
  }
  return planned.map((op) =>
    op.fate === "completed"
      ? {
          clientId: op.clientId,
          input: op.input,
          callTime: op.callTime,
          returnTime: op.returnTime,
          output: outputs.get(op),
        }
      : {
          clientId: op.clientId,
          input: op.input,
          callTime: op.callTime,
          returnTime: undefined,
          output: undefined,
        },
  );
}

describe("checkKvHistory on a large history", () => {
  it("accepts 9,000 operations over 10 keys recorded from a real execution", () => {
    const history = recordedHistory(7, 10, 3, 300);
    expect(history).toHaveLength(9_000);
    expect(checkKvHistory(history)).toEqual({
      verdict: "linearizable",
      ok: true,
      incompleteKeys: [],
    });
  });

  it("catches one stale read planted at the end of the same large history", () => {
    const history = recordedHistory(7, 10, 3, 300);
    const firstPut = history.find((op) => op.input.kind === "put" && op.input.key === "k4");
    if (firstPut?.input.kind !== "put") throw new Error("the generator wrote nothing to k4");
    const end = Math.max(...history.map((op) => op.returnTime ?? op.callTime));
    const stale: HistoryOperation = {
      clientId: "late",
      input: { kind: "get", key: "k4" },
      callTime: end + 1,
      returnTime: end + 2,
      output: { kind: "get", value: firstPut.input.value },
    };
    const result = checkKvHistory([...history, stale]);
    expect(result).toMatchObject({ ok: false, key: "k4" });
    expect(result.operations).toContain(stale);
    expect(result.operations!.length).toBeLessThanOrEqual(3);
  });
});
