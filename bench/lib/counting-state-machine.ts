/**
 * The benchmark's state machine: it counts applied commands and returns each entry's index, so
 * the measured cost is the runtime's, not the application's. Deterministic, as every state
 * machine must be.
 */
import type { AppliedEntry, StateMachine } from "@flotilla/runtime";

/**
 * Counts applied commands (any bytes); its snapshot is the count.
 *
 * @example
 * const stateMachine = new CountingStateMachine();
 * await node.group("g0", { members, stateMachine });
 */
export class CountingStateMachine implements StateMachine<Uint8Array, number> {
  /** Commands applied on this replica. */
  applied = 0;

  apply(_command: Uint8Array, entry: AppliedEntry): number {
    this.applied++;
    return entry.index;
  }

  query(): never {
    throw new Error("the benchmark's state machine answers no queries");
  }

  snapshot(): Uint8Array {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setFloat64(0, this.applied);
    return bytes;
  }

  restore(snapshot: Uint8Array): void {
    this.applied = new DataView(snapshot.buffer, snapshot.byteOffset, 8).getFloat64(0);
  }
}
