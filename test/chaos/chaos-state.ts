/**
 * The state of one `chaos` group: registers (put, cas; get) and append-only lists (append;
 * read-list). Deterministic: the same commands give the same state and the same snapshot on
 * every replica (keys sorted), which the convergence check compares by digest.
 */

/** A write to a `chaos` group (msgpack map). Values are unique per write (the workload's). */
export type ChaosCommand =
  | { readonly op: "put"; readonly key: string; readonly value: string }
  | {
      readonly op: "cas";
      readonly key: string;
      readonly expected: string | null;
      readonly value: string;
    }
  | { readonly op: "append"; readonly key: string; readonly value: string };

/** A query to a `chaos` group. */
export type ChaosQuery =
  { readonly op: "get"; readonly key: string } | { readonly op: "read-list"; readonly key: string };

/** The snapshot's shape: `[registers, lists]`, each sorted by key. */
export type ChaosSnapshot = [[string, string][], [string, string[]][]];

/** Registers and lists of one group. */
export class ChaosState {
  readonly registers = new Map<string, string>();
  readonly lists = new Map<string, string[]>();

  /**
   * Applies `command`: put → null; cas → whether it swapped (`expected: null` means absent);
   * append → the list's new length.
   *
   * @throws {TypeError} for anything else (the same on every replica).
   */
  apply(command: ChaosCommand): unknown {
    const { key, value } = fields(command);
    switch (command.op) {
      case "put":
        this.registers.set(key, value);
        return null;
      case "cas": {
        if ((this.registers.get(key) ?? null) !== (command.expected ?? null)) return false;
        this.registers.set(key, value);
        return true;
      }
      case "append": {
        const list = this.lists.get(key) ?? [];
        list.push(value);
        this.lists.set(key, list);
        return list.length;
      }
      default:
        throw new TypeError(`chaos: unknown op ${String((command as { op?: unknown }).op)}`);
    }
  }

  /** get → the register's value or null; read-list → the whole list ([] when absent). */
  query(query: ChaosQuery): unknown {
    if (typeof query?.key !== "string") throw new TypeError("chaos: key must be a string");
    switch (query.op) {
      case "get":
        return this.registers.get(query.key) ?? null;
      case "read-list":
        return [...(this.lists.get(query.key) ?? [])];
      default:
        throw new TypeError(`chaos: unknown query ${String((query as { op?: unknown }).op)}`);
    }
  }

  /** The whole state, keys sorted. */
  toSnapshot(): ChaosSnapshot {
    return [
      [...this.registers].sort(byKey),
      [...this.lists].sort(byKey).map(([key, list]) => [key, [...list]]),
    ];
  }

  /** Replaces the state with a snapshot's (undefined: empty). */
  restoreSnapshot(snapshot: unknown): void {
    this.registers.clear();
    this.lists.clear();
    if (snapshot === undefined) return;
    const [registers, lists] = snapshot as ChaosSnapshot;
    for (const [key, value] of registers) this.registers.set(key, value);
    for (const [key, list] of lists) this.lists.set(key, [...list]);
  }
}

/** Every value a snapshot holds (registers' current values and every list element). */
export function snapshotValues(snapshot: ChaosSnapshot): Set<string> {
  const [registers, lists] = snapshot;
  return new Set([...registers.map(([, value]) => value), ...lists.flatMap(([, list]) => list)]);
}

function fields(command: ChaosCommand): { key: string; value: string } {
  if (typeof command !== "object" || command === null) throw new TypeError("chaos: not a map");
  if (typeof command.key !== "string") throw new TypeError("chaos: key must be a string");
  if (typeof command.value !== "string") throw new TypeError("chaos: value must be a string");
  return { key: command.key, value: command.value };
}

function byKey<T>(a: [string, T], b: [string, T]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}
