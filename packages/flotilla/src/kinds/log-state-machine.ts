/**
 * The built-in `log` kind: an append-only log of msgpack values. Any command is appended and
 * its result is its position (from 0). Queries: `{ from, limit }` → the values from `from`.
 */
import { decodeWire, encodeWire } from "@flotilla/client";
import type { StateMachine } from "@flotilla/runtime";

/** The `log` state machine. */
export class LogStateMachine implements StateMachine<unknown, number, unknown, unknown[]> {
  readonly records: unknown[] = [];

  apply(command: unknown): number {
    this.records.push(command);
    return this.records.length - 1;
  }

  query(query: unknown): unknown[] {
    const q = (typeof query === "object" && query !== null ? query : {}) as Record<string, unknown>;
    const from = typeof q["from"] === "number" ? q["from"] : 0;
    const limit = typeof q["limit"] === "number" ? q["limit"] : 1000;
    return this.records.slice(from, from + limit);
  }

  snapshot(): Uint8Array {
    return encodeWire(this.records);
  }

  restore(snapshot: Uint8Array): void {
    this.records.length = 0;
    if (snapshot.byteLength > 0) this.records.push(...(decodeWire(snapshot) as unknown[]));
  }
}
