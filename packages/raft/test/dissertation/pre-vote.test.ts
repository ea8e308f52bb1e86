/**
 * Dissertation tests for PreVote (Ongaro's dissertation §9.6): before it campaigns, a node asks
 * whether it could win, without changing anyone's term; voters answer as they would a real vote,
 * log check included, so a node that could not win never disrupts the group.
 */
import { describe, expect, it } from "vitest";
import { Raft, SeededRandom, nodeId, type Message } from "../../src/index.js";
import { TestCluster, bytes } from "../support/test-cluster.js";
import {
  between,
  ofType,
  sentSince,
  storageWithLog,
  tickOnly,
  tickUntil,
} from "../support/scenario-helpers.js";

const T = 10;

/** A replica `b` of voters a, b, c restarted over a log of `terms`, knowing no leader. */
function leaderlessVoter(terms: readonly number[]): Raft {
  return new Raft({
    id: nodeId("b"),
    storage: storageWithLog(["a", "b", "c"], terms, { commitIndex: 1 }),
    random: new SeededRandom(7),
    preVote: true,
    checkQuorum: true,
  });
}

function preVoteFromC(term: number, lastLogIndex: number, lastLogTerm: number): Message {
  return {
    type: "RequestVote",
    from: nodeId("c"),
    to: nodeId("b"),
    term,
    lastLogIndex,
    lastLogTerm,
    preVote: true,
    leadershipTransfer: false,
  };
}

describe("PreVote (dissertation §9.6)", () => {
  it("a partitioned node that rejoins does not disrupt the leader: no term changes (3 nodes, isolate a follower) (§9.6)", () => {
    // CheckQuorum off: PreVote alone must protect the leader here.
    const c = new TestCluster(["a", "b", "c"], { preVote: true, checkQuorum: false });
    c.elect("a");
    const term = c.raft("a").status().term;
    c.isolate("c");
    c.raft("a").propose(bytes("x"));
    tickOnly(c, ["a", "b", "c"], 5 * T);
    expect(ofType(between(c.sent, "c"), "RequestVote").length).toBeGreaterThan(0);

    c.heal();
    // c times out before it hears from a: its PreVote reaches a and b, whose logs hold x.
    const mark = c.sent.length;
    tickUntil(c, () => ofType(between(sentSince(c, mark), "c"), "RequestVote").length > 0, {
      max: 3 * T,
      only: ["c"],
    });
    expect(ofType(sentSince(c, mark), "RequestVoteResult").map((m) => [m.from, m.granted])).toEqual(
      [
        ["a", false],
        ["b", false],
      ],
    );
    tickOnly(c, ["a", "b", "c"], 3 * T);

    for (const id of ["a", "b", "c"])
      expect(c.raft(id).status()).toMatchObject({ term, leaderId: "a" });
    expect(c.raft("a").status().role).toBe("leader");
    expect(c.appliedData("c")).toEqual(["x"]);
  });

  it("a pre-candidate keeps its term and its vote, and asks about the next term (§9.6)", () => {
    const c = new TestCluster(["a", "b", "c"]);
    c.elect("a");
    const before = c.raft("c").status();
    c.isolate("c");
    const mark = c.sent.length;

    tickUntil(c, () => c.raft("c").status().role === "pre-candidate", { max: 3 * T, only: ["c"] });

    expect(c.raft("c").status()).toMatchObject({ term: before.term, vote: before.vote });
    expect(c.get("c").storage.initialState().hardState).toMatchObject({
      term: before.term,
      vote: before.vote,
    });
    const requests = ofType(between(sentSince(c, mark), "c"), "RequestVote");
    expect(requests.map((m) => [m.to, m.term, m.preVote])).toEqual([
      ["a", before.term + 1, true],
      ["b", before.term + 1, true],
    ]);
  });

  it.each([
    ["its last term is older, though its log is longer", 5, 1],
    ["its last term is the same but its log is shorter", 2, 2],
  ])(
    "a voter that lost its leader refuses a PreVote from a candidate whose log is stale: %s (§9.6, §5.4.1; ClickHouse NuRaft #134)",
    (_name, lastLogIndex, lastLogTerm) => {
      const b = leaderlessVoter([1, 1, 2]);

      b.step(preVoteFromC(3, lastLogIndex, lastLogTerm));

      const ready = b.ready();
      expect(ready.messages).toMatchObject([
        { type: "RequestVoteResult", from: "b", to: "c", term: 2, granted: false, preVote: true },
      ]);
      expect(b.status()).toMatchObject({ term: 2, vote: undefined, role: "follower" });
    },
  );

  it("a voter that lost its leader grants a PreVote to an up-to-date candidate without changing its term (§9.6)", () => {
    const b = leaderlessVoter([1, 1, 2]);

    b.step(preVoteFromC(3, 3, 2));

    expect(b.ready().messages).toMatchObject([
      { type: "RequestVoteResult", from: "b", to: "c", term: 3, granted: true, preVote: true },
    ]);
    expect(b.status()).toMatchObject({ term: 2, vote: undefined });
  });
});
