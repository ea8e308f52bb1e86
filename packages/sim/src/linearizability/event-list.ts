/**
 * A history as one doubly linked list of call and return events sorted by time, as in
 * Porcupine's `checkSingle`. Lifting an operation unlinks both of its events; unlifting in the
 * reverse order of lifting restores them exactly (Knuth's dancing links), so the search
 * backtracks in O(1).
 */

/** The times one operation's events sort by. */
export interface EventTimes {
  readonly callTime: number;
  readonly returnTime: number;
}

/** The id of the node after the last one. */
export const END_OF_EVENTS = -1;

/**
 * The event list. Node 0 is the head sentinel; operation `i` owns node `2i + 1` (its call) and
 * node `2i + 2` (its return).
 *
 * Order: by time; at equal times calls come before returns, so an operation returning at `t`
 * is concurrent with one called at `t` (happens-before needs `returnTime < callTime`); ties
 * between events of the same kind go by operation id, which makes the order deterministic.
 */
export class EventList {
  private readonly next: Int32Array;
  private readonly prev: Int32Array;

  /** Links the events of `operations` in time order. */
  constructor(operations: readonly EventTimes[]) {
    const nodeCount = 2 * operations.length + 1;
    this.next = new Int32Array(nodeCount);
    this.prev = new Int32Array(nodeCount);
    const order = sortedEventNodes(operations);
    let previous = 0;
    for (const node of order) {
      this.next[previous] = node;
      this.prev[node] = previous;
      previous = node;
    }
    this.next[previous] = END_OF_EVENTS;
  }

  /** The first event still linked, or `END_OF_EVENTS`. */
  first(): number {
    return this.nextOf(0);
  }

  /** The event after `node`, or `END_OF_EVENTS`. */
  nextOf(node: number): number {
    return this.next[node] ?? END_OF_EVENTS;
  }

  /** The node of operation `id`'s call event. */
  callOf(id: number): number {
    return 2 * id + 1;
  }

  /** Whether `node` is a call event (otherwise a return event). */
  isCall(node: number): boolean {
    return node % 2 === 1;
  }

  /** The operation `node` belongs to. */
  operationOf(node: number): number {
    return (node - 1) >>> 1;
  }

  /** Unlinks operation `id`'s call and return events. */
  lift(id: number): void {
    this.unlink(2 * id + 1);
    this.unlink(2 * id + 2);
  }

  /** Relinks operation `id`'s events; `id` must be the most recently lifted operation. */
  unlift(id: number): void {
    this.relink(2 * id + 2);
    this.relink(2 * id + 1);
  }

  private unlink(node: number): void {
    const before = this.prev[node] ?? 0;
    const after = this.next[node] ?? END_OF_EVENTS;
    this.next[before] = after;
    if (after !== END_OF_EVENTS) this.prev[after] = before;
  }

  private relink(node: number): void {
    const before = this.prev[node] ?? 0;
    const after = this.next[node] ?? END_OF_EVENTS;
    this.next[before] = node;
    if (after !== END_OF_EVENTS) this.prev[after] = node;
  }
}

function sortedEventNodes(operations: readonly EventTimes[]): number[] {
  const timeOf = (node: number): number => {
    const operation = operations[(node - 1) >>> 1];
    if (operation === undefined) throw new RangeError(`no operation for event node ${node}`);
    return node % 2 === 1 ? operation.callTime : operation.returnTime;
  };
  const nodes = Array.from({ length: 2 * operations.length }, (_, index) => index + 1);
  return nodes.sort((a, b) => {
    const timeA = timeOf(a);
    const timeB = timeOf(b);
    if (timeA !== timeB) return timeA < timeB ? -1 : 1;
    const callA = a % 2;
    const callB = b % 2;
    // Calls (odd nodes) before returns at the same time; then by operation id.
    return callA !== callB ? callB - callA : a - b;
  });
}
