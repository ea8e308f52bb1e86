import type { Observable } from "rxjs";
import { describe, expectTypeOf, it } from "vitest";
import type {
  CommittedEvent,
  FlotillaNode,
  Group,
  LeaderInfo,
  LeadershipEvent,
  StateMachine,
} from "../src/index.js";

type Counter = StateMachine<number, number, "total", number>;

describe("public types", () => {
  it("a group's API is typed by its state machine's command, result and query", () => {
    type CounterGroup = Group<number, number, "total", number>;
    expectTypeOf<CounterGroup["propose"]>().parameter(0).toEqualTypeOf<number>();
    expectTypeOf<CounterGroup["propose"]>().returns.toEqualTypeOf<Promise<number>>();
    expectTypeOf<CounterGroup["propose$"]>().returns.toEqualTypeOf<Observable<number>>();
    expectTypeOf<CounterGroup["read"]>().parameter(0).toEqualTypeOf<"total">();
    expectTypeOf<CounterGroup["read"]>().returns.toEqualTypeOf<Promise<number>>();
    expectTypeOf<CounterGroup["leader$"]>().toEqualTypeOf<Observable<LeaderInfo>>();
    expectTypeOf<ReturnType<CounterGroup["committed$"]>>().toEqualTypeOf<
      Observable<CommittedEvent>
    >();
    expectTypeOf<Counter["apply"]>().returns.toEqualTypeOf<number>();
  });

  it("committed events are a union on type; the node streams leadership events", () => {
    expectTypeOf<CommittedEvent["type"]>().toEqualTypeOf<"entry" | "snapshot">();
    expectTypeOf<FlotillaNode["leadership$"]>().toEqualTypeOf<Observable<LeadershipEvent>>();
  });
});
