/**
 * The built-in `kv` kind: a replicated key-value map. Commands (msgpack maps):
 * `{ op: "put", key, value }` → the previous value (or null); `{ op: "delete", key }` → whether
 * it existed; `{ op: "cas", key, expected, value }` → whether it swapped (`expected: null`
 * means "absent"). Queries: `{ op: "get", key }` → the value or null;
 * `{ op: "scan", prefix, limit }` → `[key, value]` pairs in key order. Anything else is refused
 * with an error, the same on every replica.
 */
import { decodeWire, encodeWire } from "@flotilla/client";
import type { StateMachine } from "@flotilla/runtime";

/** A value stored under a key: any msgpack value. */
export type KvValue = unknown;

/** The `kv` state machine. */
export class KvStateMachine implements StateMachine<unknown, unknown, unknown, unknown> {
  readonly values = new Map<string, KvValue>();

  apply(command: unknown): unknown {
    const c = fields(command);
    const key = c["key"];
    if (typeof key !== "string") throw new TypeError("kv: key must be a string");
    switch (c["op"]) {
      case "put": {
        const previous = this.values.get(key) ?? null;
        this.values.set(key, c["value"] ?? null);
        return previous;
      }
      case "delete":
        return this.values.delete(key);
      case "cas": {
        const current = this.values.get(key) ?? null;
        if (!sameValue(current, c["expected"] ?? null)) return false;
        this.values.set(key, c["value"] ?? null);
        return true;
      }
      default:
        throw new TypeError(`kv: unknown op ${String(c["op"])}`);
    }
  }

  query(query: unknown): unknown {
    const q = fields(query);
    switch (q["op"]) {
      case "get":
        return typeof q["key"] === "string" ? (this.values.get(q["key"]) ?? null) : null;
      case "scan": {
        const prefix = typeof q["prefix"] === "string" ? q["prefix"] : "";
        const limit = typeof q["limit"] === "number" ? q["limit"] : 1000;
        return [...this.values]
          .filter(([key]) => key.startsWith(prefix))
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .slice(0, limit);
      }
      default:
        throw new TypeError(`kv: unknown query ${String(q["op"])}`);
    }
  }

  snapshot(): Uint8Array {
    return encodeWire([...this.values].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  restore(snapshot: Uint8Array): void {
    this.values.clear();
    if (snapshot.byteLength === 0) return;
    for (const [key, value] of decodeWire(snapshot) as [string, KvValue][]) {
      this.values.set(key, value);
    }
  }
}

function fields(value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null) throw new TypeError("kv: expected a map");
  return value as Record<string, unknown>;
}

/** Deep equality of msgpack values: maps by content (key order does not matter), arrays in order. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.byteLength === b.byteLength && a.every((byte, i) => byte === b[i]);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, i) => sameValue(item, b[i]))
    );
  }
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  const aKeys = Object.keys(a);
  const bRecord = b as Record<string, unknown>;
  return (
    aKeys.length === Object.keys(b).length &&
    aKeys.every(
      (key) => key in bRecord && sameValue((a as Record<string, unknown>)[key], bRecord[key]),
    )
  );
}
