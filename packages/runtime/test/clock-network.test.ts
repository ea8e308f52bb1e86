import { describe, expect, it } from "vitest";
import { nodeId, type Message } from "@flotilla/raft";
import { InMemoryNetwork, ManualClock, type RaftBatch } from "../src/index.js";
import { waitFor } from "./helpers.js";

describe("ManualClock", () => {
  it("fires a repeating timer once per elapsed period, only when advanced", () => {
    const clock = new ManualClock();
    const firedAt: number[] = [];
    const timer = clock.setInterval(() => firedAt.push(clock.now()), 100);
    expect(firedAt).toEqual([]);
    clock.advance(250);
    expect(firedAt).toEqual([100, 200]);
    expect(clock.now()).toBe(250);
    clock.advance(50);
    expect(firedAt).toEqual([100, 200, 300]);
    timer.cancel();
    clock.advance(1000);
    expect(firedAt).toHaveLength(3);
    expect(clock.timerCount()).toBe(0);
  });
});

describe("InMemoryNetwork", () => {
  const a = nodeId("a");
  const b = nodeId("b");
  const heartbeat: Message = {
    type: "Heartbeat",
    from: a,
    to: b,
    term: 1,
    commitIndex: 0,
    context: undefined,
  };
  const batch: RaftBatch = { from: a, messages: [{ groupId: "g1", message: heartbeat }] };

  it("delivers a copy asynchronously, never inside send, and counts sends per link", async () => {
    const network = new InMemoryNetwork();
    const received: RaftBatch[] = [];
    network.endpoint(b).onBatch((delivered) => received.push(delivered));
    network.endpoint(a).send(b, batch);
    expect(received).toHaveLength(0);
    await waitFor(() => received.length === 1, { description: "delivery" });
    expect(received[0]).toEqual(batch);
    expect(received[0]).not.toBe(batch);
    expect(network.sent(a, b)).toBe(1);
    expect(network.sentBy(a)).toBe(1);
  });

  it("drops batches on a cut link until healed", async () => {
    const network = new InMemoryNetwork();
    const received: RaftBatch[] = [];
    network.endpoint(b).onBatch((delivered) => received.push(delivered));
    network.isolate(a, [a, b]);
    network.endpoint(a).send(b, batch);
    network.healAll();
    network.endpoint(a).send(b, batch);
    await waitFor(() => received.length === 1, { description: "the healed delivery" });
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(received).toHaveLength(1);
    expect(network.sent(a, b)).toBe(2);
  });
});
