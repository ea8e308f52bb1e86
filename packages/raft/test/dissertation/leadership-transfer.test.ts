/**
 * Dissertation tests for leadership transfer (dissertation §3.10): the leader stops taking
 * proposals, brings the target's log up to date, then sends it TimeoutNow so it campaigns at once
 * (overriding the followers' lease); a transfer that does not finish in an election timeout is
 * abandoned.
 */
import { describe, expect, it } from "vitest";
import { Rejection, nodeId } from "../../src/index.js";
import { TestCluster, bytes } from "../support/test-cluster.js";
import { between, ofType, sentSince, tickOnly } from "../support/scenario-helpers.js";

const T = 10;

/** A group a, b, c led by a in which c missed three proposals. */
function groupWithLaggingC(): TestCluster {
  const c = new TestCluster(["a", "b", "c"]);
  c.elect("a");
  c.isolate("c");
  for (const text of ["x", "y", "z"]) c.raft("a").propose(bytes(text));
  c.stabilize();
  return c;
}

describe("leadership transfer (dissertation §3.10)", () => {
  it("the leader catches the target up, then sends it TimeoutNow, and the target wins the next term (§3.10)", () => {
    const c = groupWithLaggingC();
    c.heal();
    const term = c.raft("a").status().term;
    const leaderLast = c.raft("a").status().lastIndex;
    expect(c.raft("c").status().lastIndex).toBeLessThan(leaderLast);
    let targetLastAtTimeoutNow: number | undefined;
    c.drop = (m) => {
      if (m.type === "TimeoutNow") targetLastAtTimeoutNow = c.raft("c").status().lastIndex;
      return false;
    };
    const mark = c.sent.length;

    expect(c.raft("a").transferLeadership(nodeId("c"))).toEqual({ type: "pending" });
    c.stabilize();

    const toC = between(sentSince(c, mark), "a", "c");
    const timeoutNow = toC.findIndex((m) => m.type === "TimeoutNow");
    expect(
      ofType(toC.slice(0, timeoutNow), "AppendEntries").some((m) => m.entries.length > 0),
    ).toBe(true);
    expect(ofType(toC, "TimeoutNow")).toHaveLength(1);
    expect(targetLastAtTimeoutNow).toBe(leaderLast);
    expect(c.raft("c").status()).toMatchObject({ role: "leader", term: term + 1 });
    expect(c.raft("a").status()).toMatchObject({ role: "follower", leaderId: "c", term: term + 1 });
    expect(c.appliedData("c")).toEqual(["x", "y", "z"]);
  });

  it("while a transfer is under way the leader rejects proposals with LeadershipTransfer, naming the target (§3.10)", () => {
    const c = groupWithLaggingC();
    c.raft("a").transferLeadership(nodeId("c"));
    c.stabilize();

    expect(c.raft("a").propose(bytes("w"))).toEqual({
      type: "rejected",
      reason: Rejection.LeadershipTransfer,
      leaderHint: "c",
    });
    expect(c.raft("a").changeMembership([{ type: "remove", nodeId: nodeId("b") }])).toMatchObject({
      type: "rejected",
      reason: Rejection.LeadershipTransfer,
    });
  });

  it("a transfer that does not complete within an election timeout is abandoned and the leader takes proposals again (§3.10)", () => {
    const c = groupWithLaggingC();
    c.raft("a").transferLeadership(nodeId("c"));
    c.stabilize();

    tickOnly(c, ["a", "b", "c"], T);

    expect(c.raft("a").status()).toMatchObject({ role: "leader", leadTransferee: undefined });
    expect(c.raft("a").propose(bytes("w"))).toMatchObject({ type: "accepted" });
    c.stabilize();
    expect(c.appliedData("b")).toEqual(["x", "y", "z", "w"]);
  });

  it.each([
    ["a learner", "l"],
    ["a node outside the group", "z"],
    ["the leader itself", "a"],
  ])("a transfer to %s is rejected with InvalidTarget (§3.10)", (_name, target) => {
    const c = new TestCluster(["a", "b", "c"], {}, ["l"]);
    c.elect("a");

    expect(c.raft("a").transferLeadership(nodeId(target))).toMatchObject({
      type: "rejected",
      reason: Rejection.InvalidTarget,
      leaderHint: "a",
    });
    expect(c.raft("a").status().leadTransferee).toBeUndefined();
    expect(ofType(c.sent, "TimeoutNow")).toEqual([]);
  });
});
