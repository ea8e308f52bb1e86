/**
 * The demo's replicated state machine: a key-value map where `put` returns the index it was
 * applied at. The digest lets the demo check that every replica of a group holds the same state.
 */
import type { AppliedEntry, StateMachine } from "@flotilla/runtime";

/** A write of the demo workload. */
export interface DemoPut {
  readonly key: string;
  readonly value: string;
}

/** A key-value map replicated by one group. */
export class DemoStateMachine implements StateMachine<DemoPut, number, string, string | undefined> {
  readonly values = new Map<string, string>();

  apply(command: DemoPut, entry: AppliedEntry): number {
    this.values.set(command.key, command.value);
    return entry.index;
  }

  query(key: string): string | undefined {
    return this.values.get(key);
  }

  snapshot(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify([...this.values]));
  }

  restore(snapshot: Uint8Array): void {
    this.values.clear();
    const pairs = JSON.parse(new TextDecoder().decode(snapshot)) as [string, string][];
    for (const [key, value] of pairs) this.values.set(key, value);
  }

  /** An order-independent fingerprint of the state. */
  digest(): string {
    return digestOf(this.values);
  }
}

/** An order-independent fingerprint of a key-value state (FNV-1a over the sorted pairs). */
export function digestOf(values: ReadonlyMap<string, unknown>): string {
  let hash = 0x811c9dc5;
  for (const [key, value] of [...values].sort(([a], [b]) => (a < b ? -1 : 1))) {
    for (const char of `${key}=${JSON.stringify(value)};`) {
      hash = Math.imul(hash ^ (char.codePointAt(0) ?? 0), 0x01000193) >>> 0;
    }
  }
  return `${values.size}:${hash.toString(16)}`;
}
