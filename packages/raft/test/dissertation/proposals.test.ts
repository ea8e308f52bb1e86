/**
 * Dissertation tests for client proposals (dissertation §6.2: followers pass requests to the
 * leader) and the leader's flow control: typed rejections instead of silent drops, backpressure
 * on uncommitted bytes, an in-flight window per follower, and a byte bound per AppendEntries.
 */
import { describe, expect, it } from "vitest";
import { Rejection, entriesSizeBytes, nodeId, type AppendEntries } from "../../src/index.js";
import { TestCluster, bytes } from "../support/test-cluster.js";
import { between, ofType, runUntil, sentSince, tickOnly } from "../support/scenario-helpers.js";

/** `n` bytes of payload. */
function payload(n: number): Uint8Array {
  return new Uint8Array(n).fill(120);
}

/** The non-empty AppendEntries from a to b among `messages`. */
function appendsToB(messages: Parameters<typeof ofType>[0]): AppendEntries[] {
  return ofType(between(messages, "a", "b"), "AppendEntries").filter((m) => m.entries.length > 0);
}

describe("proposals on a follower (dissertation §6.2)", () => {
  it("a follower forwards a proposal to the leader, which appends and commits it (forward mode) (§6.2)", () => {
    const c = new TestCluster(["a", "b", "c"], { proposalForwarding: "forward" });
    c.elect("a");

    expect(c.raft("b").propose(bytes("x"))).toEqual({ type: "forwarded", to: "a" });
    c.stabilize();

    expect(ofType(between(c.sent, "b", "a"), "ForwardedProposal")).toHaveLength(1);
    for (const id of ["a", "b", "c"]) expect(c.appliedData(id)).toEqual(["x"]);
  });

  it("a follower rejects a proposal with NotLeader and names the leader (reject mode) (§6.2)", () => {
    const c = new TestCluster(["a", "b", "c"], { proposalForwarding: "reject" });
    c.elect("a");
    const mark = c.sent.length;

    expect(c.raft("b").propose(bytes("x"))).toEqual({
      type: "rejected",
      reason: Rejection.NotLeader,
      leaderHint: "a",
    });
    c.stabilize();

    expect(sentSince(c, mark)).toEqual([]);
    expect(c.raft("a").status().lastIndex).toBe(1);
  });

  it.each([
    ["before any election", (_c: TestCluster) => undefined],
    ["while it campaigns", (c: TestCluster) => c.raft("b").campaign()],
  ])(
    "a replica that knows no leader rejects a proposal with NoLeader (%s) (§6.2)",
    (_name, setup) => {
      const c = new TestCluster(["a", "b", "c"]);
      setup(c);

      expect(c.raft("b").propose(bytes("x"))).toEqual({
        type: "rejected",
        reason: Rejection.NoLeader,
        leaderHint: undefined,
      });
    },
  );
});

describe("backpressure and flow control", () => {
  it("past uncommittedBytesMax the leader rejects proposals as Overloaded, and accepts them again once they commit", () => {
    const c = new TestCluster(["a", "b", "c"], { uncommittedBytesMax: 100 });
    c.elect("a");
    c.isolate("b");
    c.isolate("c");
    const a = c.raft("a");

    // 24 bytes of overhead + 50 of data = 74 uncommitted bytes; a second one would make 148.
    expect(a.propose(payload(50))).toMatchObject({ type: "accepted", index: 2 });
    expect(a.propose(payload(50))).toEqual({
      type: "rejected",
      reason: Rejection.Overloaded,
      leaderHint: "a",
    });
    c.stabilize();
    expect(a.status()).toMatchObject({ role: "leader", lastIndex: 2 });

    c.heal();
    tickOnly(c, ["a"]);
    expect(a.status().commitIndex).toBe(2);
    expect(a.propose(payload(50))).toMatchObject({ type: "accepted", index: 3 });
  });

  it("at most inflightMessagesMax AppendEntries are in flight to a replicating follower", () => {
    const c = new TestCluster(["a", "b", "c"], { inflightMessagesMax: 2, batchBytesMax: 1 });
    c.elect("a");
    expect(c.raft("a").status().progress?.get(nodeId("b"))?.state).toBe("replicate");
    const mark = c.sent.length;
    for (let i = 1; i <= 6; i++) c.raft("a").propose(bytes(`p${i}`));

    // In flight: sent to b and not yet acknowledged by an answer that reached a.
    let acked = 0;
    let inflightMax = 0;
    const inflight = (): number =>
      appendsToB(sentSince(c, mark)).filter(
        (m) => (m.entries[m.entries.length - 1]?.index ?? 0) > acked,
      ).length;
    runUntil(c, undefined, {
      delivered: (m) => {
        if (m.type === "AppendEntriesResult" && m.from === "b" && m.success)
          acked = Math.max(acked, m.index);
      },
      afterReadies: () => {
        inflightMax = Math.max(inflightMax, inflight());
      },
    });

    expect(inflightMax).toBe(2);
    expect(appendsToB(sentSince(c, mark)).every((m) => m.entries.length === 1)).toBe(true);
    expect(c.appliedData("b")).toEqual(["p1", "p2", "p3", "p4", "p5", "p6"]);
  });

  it("each AppendEntries carries at most batchBytesMax of entries", () => {
    const c = new TestCluster(["a", "b", "c"], { batchBytesMax: 100 });
    c.elect("a");
    c.isolate("b");
    // 24 + 16 = 40 bytes each: two fit in 100 bytes, three do not.
    for (let i = 1; i <= 6; i++) c.raft("a").propose(payload(16));
    c.stabilize();
    const mark = c.sent.length;

    c.heal();
    tickOnly(c, ["a"]);

    const appends = appendsToB(sentSince(c, mark));
    expect(appends.map((m) => m.entries.length)).toEqual([2, 2, 2]);
    expect(appends.every((m) => entriesSizeBytes(m.entries) <= 100)).toBe(true);
    expect(c.raft("b").status().lastIndex).toBe(c.raft("a").status().lastIndex);
  });

  it("an entry larger than batchBytesMax still goes, alone in its AppendEntries", () => {
    const c = new TestCluster(["a", "b", "c"], { batchBytesMax: 100 });
    c.elect("a");
    c.isolate("b");
    c.raft("a").propose(payload(500));
    c.raft("a").propose(payload(10));
    c.raft("a").propose(payload(10));
    c.stabilize();
    const mark = c.sent.length;

    c.heal();
    tickOnly(c, ["a"]);

    const appends = appendsToB(sentSince(c, mark));
    expect(appends.map((m) => m.entries.map((e) => e.index))).toEqual([[2], [3, 4]]);
    expect(c.raft("b").status().commitIndex).toBe(4);
  });
});

describe("proposeBatch", () => {
  it("appends the commands together at consecutive indexes, with one append per follower", () => {
    const c = new TestCluster(["a", "b", "c"]);
    c.elect("a");
    const last = c.raft("a").status().lastIndex;
    const mark = c.sent.length;

    const outcome = c.raft("a").proposeBatch([bytes("x"), bytes("y"), bytes("z")]);
    c.processReadies();

    expect(outcome).toMatchObject({ type: "accepted", index: last + 3 });
    const appends = c.sent.slice(mark).filter((m) => m.type === "AppendEntries");
    expect(appends.map((m) => m.to)).toEqual(["b", "c"]);
    c.stabilize();
    expect(c.appliedData("b").slice(-3)).toEqual(["x", "y", "z"]);
  });

  it("is refused as a whole past the uncommitted bytes bound, and on a follower", () => {
    const c = new TestCluster(["a", "b", "c"], { uncommittedBytesMax: 4 });
    c.elect("a");
    c.isolate("b");
    c.isolate("c");
    c.raft("a").propose(bytes("abcd")); // admitted: nothing was uncommitted
    c.stabilize();

    expect(c.raft("a").proposeBatch([bytes("e"), bytes("f")])).toMatchObject({
      type: "rejected",
      reason: "overloaded",
    });
    expect(c.raft("b").proposeBatch([bytes("x")]).type).not.toBe("accepted");
  });
});
