/**
 * The user's state machine, one instance per replica: the contract of DESIGN.md. `apply` is
 * synchronous and deterministic (no clock, no randomness, no I/O), so every replica that applies
 * the same entries holds the same state.
 */

/** A committed application entry as the state machine and `committed$` see it. */
export interface AppliedEntry {
  readonly index: number;
  readonly term: number;
  /** The command's bytes as stored in the log. */
  readonly data: Uint8Array;
}

/**
 * A replicated, deterministic state machine.
 *
 * - `apply` runs once per committed application entry, in index order, on every replica. What
 *   it returns resolves the proposal on the replica that proposed it. A throw is part of the
 *   deterministic outcome: the entry still counts as applied and the proposal rejects with it.
 * - `query` reads local state (after ReadIndex made it linearizable).
 * - `snapshot` / `restore` capture and replace the whole state.
 *
 * @example
 * class Counter implements StateMachine<number, number, void, number> {
 *   private total = 0;
 *   apply(command: number): number { return (this.total += command); }
 *   query(): number { return this.total; }
 *   snapshot(): Uint8Array { return new TextEncoder().encode(String(this.total)); }
 *   restore(data: Uint8Array): void { this.total = Number(new TextDecoder().decode(data)); }
 * }
 */
export interface StateMachine<Command, Result, Query = never, QueryResult = never> {
  apply(command: Command, entry: AppliedEntry): Result;
  query(query: Query): QueryResult;
  snapshot(): Uint8Array;
  restore(snapshot: Uint8Array): void;
}

/**
 * Turns commands into log bytes and back. Deterministic and total over what `encode` produces:
 * every replica decodes the same bytes to the same command.
 */
export interface Codec<T> {
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

/** The identity codec: commands are already bytes (the default). */
export const bytesCodec: Codec<Uint8Array> = {
  encode: (value) => value,
  decode: (bytes) => bytes,
};

/**
 * Plain values as UTF-8 JSON: simple and readable, good for tests and examples. The wire format
 * of the NATS front door (msgpack) is a later concern; plug any {@link Codec} in.
 *
 * @example
 * const codec = jsonCodec<{ key: string; value: string }>();
 * codec.decode(codec.encode({ key: "a", value: "1" })); // { key: "a", value: "1" }
 */
export function jsonCodec<T>(): Codec<T> {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  return {
    encode: (value) => encoder.encode(JSON.stringify(value)),
    decode: (bytes) => JSON.parse(decoder.decode(bytes)) as T,
  };
}
