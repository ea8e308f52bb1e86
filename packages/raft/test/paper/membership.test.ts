/**
 * Paper tests for cluster membership changes (Raft §6; dissertation §4.3 joint consensus) and
 * learners (non-voting members, dissertation §4.2.1), on the in-memory TestCluster. A change takes
 * effect when its entry is applied; the leader leaves the joint configuration on its own.
 */
import { describe, expect, it } from "vitest";
import { Rejection, isJoint, membershipOf, nodeId, type NodeChange } from "../../src/index.js";
import { TestCluster, bytes } from "../support/test-cluster.js";
import {
  addNewMember,
  appliedConfigKinds,
  between,
  ids,
  leaderOf,
  ofType,
  runUntil,
  sentSince,
  tickOnly,
  tickUntil,
} from "../support/scenario-helpers.js";

const T = 10;
const ABC = membershipOf(ids("a", "b", "c"));

/** A three-voter group a, b, c led by a. */
function groupLedByA(): TestCluster {
  const c = new TestCluster(["a", "b", "c"]);
  c.elect("a");
  return c;
}

describe("joint consensus (§6)", () => {
  it("adding a voter passes through C(old,new) and then C(new) without a second request (§6)", () => {
    const c = groupLedByA();
    addNewMember(c, "d", ABC);

    expect(
      c.raft("a").changeMembership([{ type: "add-voter", nodeId: nodeId("d") }]),
    ).toMatchObject({
      type: "accepted",
    });
    runUntil(c, () => isJoint(c.raft("a").status().membership));
    expect(c.raft("a").status().membership).toEqual({
      voters: ids("a", "b", "c", "d"),
      votersOutgoing: ids("a", "b", "c"),
      learners: [],
      learnersNext: [],
    });
    c.stabilize();

    for (const id of ["a", "b", "c", "d"]) {
      expect(appliedConfigKinds(c.get(id))).toEqual(["enter-joint", "leave-joint"]);
      expect(c.raft(id).status().membership).toEqual(membershipOf(ids("a", "b", "c", "d")));
    }
  });

  it.each([
    ["the old voters b and c", ["b", "c"]],
    ["the new voters d and e", ["d", "e"]],
  ] as const)(
    "in C(old,new) nothing commits while %s are cut off, and everything does once both majorities answer (§6)",
    (_name, cut) => {
      const c = groupLedByA();
      addNewMember(c, "d", ABC);
      addNewMember(c, "e", ABC);
      // C(old) = {a, b, c}, C(new) = {a, d, e}: cutting off two voters of one half leaves the other
      // half's majority (and every voter of the other half) connected.
      const change: NodeChange[] = [
        { type: "add-voter", nodeId: nodeId("d") },
        { type: "add-voter", nodeId: nodeId("e") },
        { type: "remove", nodeId: nodeId("b") },
        { type: "remove", nodeId: nodeId("c") },
      ];
      c.raft("a").changeMembership(change);
      runUntil(c, () => isJoint(c.raft("a").status().membership));
      const committedOnEntering = c.raft("a").status().commitIndex;
      for (const id of cut) c.isolate(id);

      expect(c.raft("a").propose(bytes("x"))).toMatchObject({ type: "accepted" });
      c.stabilize();
      tickOnly(c, ["a"]);

      const connected = ["b", "c", "d", "e"].filter(
        (id) => !(cut as readonly string[]).includes(id),
      );
      for (const id of connected)
        expect(c.raft(id).status().lastIndex).toBe(c.raft("a").status().lastIndex);
      expect(c.raft("a").status().commitIndex).toBe(committedOnEntering);
      expect(isJoint(c.raft("a").status().membership)).toBe(true);
      expect(c.appliedData("a")).toEqual([]);

      c.heal();
      tickOnly(c, ["a"]);
      expect(c.raft("a").status().membership).toEqual(membershipOf(ids("a", "d", "e")));
      expect(c.appliedData("a")).toEqual(["x"]);
    },
  );

  it("a second membership change is rejected with ChangePending until the first has completed (§6, dissertation §4.1)", () => {
    const c = groupLedByA();
    addNewMember(c, "d", ABC);
    addNewMember(c, "e", ABC);
    const a = c.raft("a");
    const addE = [{ type: "add-voter", nodeId: nodeId("e") }] as const;

    a.changeMembership([{ type: "add-voter", nodeId: nodeId("d") }]);
    expect(a.changeMembership(addE)).toMatchObject({
      type: "rejected",
      reason: Rejection.ChangePending,
    });
    runUntil(c, () => isJoint(a.status().membership));
    expect(a.changeMembership(addE)).toMatchObject({
      type: "rejected",
      reason: Rejection.ChangePending,
    });
    c.stabilize();

    expect(a.changeMembership(addE)).toMatchObject({ type: "accepted" });
  });

  it.each([
    ["an empty change", []],
    ["removing a node that is not a member", [{ type: "remove", nodeId: nodeId("z") }]],
    [
      "removing every voter",
      [
        { type: "remove", nodeId: nodeId("a") },
        { type: "remove", nodeId: nodeId("b") },
        { type: "remove", nodeId: nodeId("c") },
      ],
    ],
  ] as const)("%s is rejected with InvalidChange and nothing is appended (§6)", (_name, change) => {
    const c = groupLedByA();
    const before = c.raft("a").status();

    const outcome = c.raft("a").changeMembership(change);

    expect(outcome).toMatchObject({
      type: "rejected",
      reason: Rejection.InvalidChange,
      leaderHint: "a",
    });
    expect(c.raft("a").status()).toMatchObject({
      lastIndex: before.lastIndex,
      membership: before.membership,
    });
  });

  it("removing the leader: it leads through C(old,new), hands leadership to a remaining voter once C(new) applies, and steps down (§6)", () => {
    const c = groupLedByA();

    c.raft("a").changeMembership([{ type: "remove", nodeId: nodeId("a") }]);
    runUntil(c, () => isJoint(c.raft("a").status().membership));
    expect(c.raft("a").status().role).toBe("leader");
    c.stabilize();
    // The new leader no longer messages a; a learns the newer term from its next heartbeat's answer.
    c.tickAll(1);

    expect(c.raft("a").status()).toMatchObject({
      role: "follower",
      membership: membershipOf(ids("b", "c")),
    });
    tickUntil(c, () => leaderOf(c, ["b", "c"]) !== undefined, { max: 5 * T });
    expect(c.raft("a").status().role).toBe("follower");
    const next = leaderOf(c);
    expect(next?.id === "b" || next?.id === "c").toBe(true);
    expect(next?.raft.propose(bytes("after"))).toMatchObject({ type: "accepted" });
    c.stabilize();
    expect(c.appliedData("b")).toEqual(["after"]);
    expect(c.appliedData("c")).toEqual(["after"]);
  });

  it("a removed follower no longer campaigns, however long it hears nothing (§6)", () => {
    const c = groupLedByA();

    c.raft("a").changeMembership([{ type: "remove", nodeId: nodeId("c") }]);
    c.stabilize();
    expect(c.raft("a").status().membership).toEqual(membershipOf(ids("a", "b")));
    expect(c.raft("c").status().membership).toEqual(membershipOf(ids("a", "b")));
    const mark = c.sent.length;
    const termBefore = c.raft("c").status().term;
    tickOnly(c, ["c"], 5 * T);

    expect(ofType(between(sentSince(c, mark), "c"), "RequestVote")).toEqual([]);
    expect(c.raft("c").status()).toMatchObject({ role: "follower", term: termBefore });
    expect(c.raft("a").status()).toMatchObject({ role: "leader", term: termBefore });
  });
});

describe("learners (dissertation §4.2.1)", () => {
  it("a learner receives and applies the log like any follower", () => {
    const c = new TestCluster(["a", "b", "c"], {}, ["l"]);
    c.elect("a");

    c.raft("a").propose(bytes("x"));
    c.stabilize();

    expect(c.appliedData("l")).toEqual(["x"]);
    expect(c.raft("l").status()).toMatchObject({ role: "follower", leaderId: "a", commitIndex: 2 });
  });

  it("a learner never campaigns, even when it hears from no leader", () => {
    const c = new TestCluster(["a", "b", "c"], {}, ["l"]);
    c.elect("a");
    c.isolate("a");
    const mark = c.sent.length;
    const termBefore = c.raft("l").status().term;

    tickOnly(c, ["l"], 5 * T);
    c.raft("l").campaign();
    c.stabilize();

    expect(between(sentSince(c, mark), "l")).toEqual([]);
    expect(c.raft("l").status()).toMatchObject({ role: "follower", term: termBefore });
  });

  it("a candidate asks only voters for their votes, and a learner's grant does not count", () => {
    const c = new TestCluster(["a", "b", "c"], { preVote: false }, ["l"]);
    c.isolate("b");
    c.isolate("c");

    c.raft("a").campaign();
    c.stabilize();
    const requests = ofType(c.sent, "RequestVote");
    expect(requests.map((m) => m.to).sort()).toEqual(["b", "c"]);
    c.raft("a").step({
      type: "RequestVoteResult",
      from: nodeId("l"),
      to: nodeId("a"),
      term: 1,
      commitIndex: 0,
      commitTerm: 0,
      granted: true,
      preVote: false,
    });

    expect(c.raft("a").status().role).toBe("candidate");
  });

  it("a learner's acknowledgement does not count toward commit", () => {
    const c = new TestCluster(["a", "b", "c"], {}, ["l"]);
    c.elect("a");
    c.isolate("b");
    c.isolate("c");

    c.raft("a").propose(bytes("x"));
    c.stabilize();

    expect(c.raft("l").status().lastIndex).toBe(2);
    expect(c.raft("a").status().commitIndex).toBe(1);
    expect(c.appliedData("a")).toEqual([]);
  });

  it("a learner promoted to voter becomes a voter everywhere and then counts toward commit (§6)", () => {
    const c = new TestCluster(["a", "b"], {}, ["l"]);
    c.elect("a");

    c.raft("a").changeMembership([{ type: "add-voter", nodeId: nodeId("l") }]);
    c.stabilize();
    for (const id of ["a", "b", "l"]) {
      expect(c.raft(id).status().membership).toEqual(membershipOf(ids("a", "b", "l")));
    }
    c.isolate("b");
    c.raft("a").propose(bytes("x"));
    c.stabilize();

    expect(c.appliedData("a")).toEqual(["x"]);
    expect(c.appliedData("l")).toEqual(["x"]);
  });
});
