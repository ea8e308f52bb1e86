/**
 * The event list behind the search: time order with calls before returns at equal times, and
 * exact restoration when operations are lifted and unlifted in stack order.
 */
import { describe, it, expect } from "vitest";
import { END_OF_EVENTS, EventList } from "../../src/linearizability/event-list.js";

function walk(list: EventList): string[] {
  const seen: string[] = [];
  for (let node = list.first(); node !== END_OF_EVENTS; node = list.nextOf(node)) {
    seen.push(`${list.isCall(node) ? "call" : "return"} ${list.operationOf(node)}`);
  }
  return seen;
}

describe("EventList", () => {
  it("orders events by time and puts a call before a return at the same time", () => {
    const list = new EventList([
      { callTime: 0, returnTime: 5 },
      { callTime: 5, returnTime: 6 },
      { callTime: 2, returnTime: 2 },
    ]);
    expect(walk(list)).toEqual(["call 0", "call 2", "return 2", "call 1", "return 0", "return 1"]);
  });

  it("restores the list exactly when lifts are undone in reverse order", () => {
    const list = new EventList([
      { callTime: 0, returnTime: 3 },
      { callTime: 1, returnTime: 2 },
      { callTime: 4, returnTime: 9 },
    ]);
    const before = walk(list);
    list.lift(1);
    list.lift(0);
    expect(walk(list)).toEqual(["call 2", "return 2"]);
    list.unlift(0);
    list.unlift(1);
    expect(walk(list)).toEqual(before);
  });
});
