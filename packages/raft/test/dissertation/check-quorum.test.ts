/**
 * Dissertation tests for CheckQuorum and the leader lease it gives followers (dissertation §6.2
 * and §4.2.3): a leader that cannot hear from a quorum steps down, and followers that hear from a
 * leader ignore candidates that could not have (they are partitioned or stale).
 */
import { describe, expect, it } from "vitest";
import { TestCluster } from "../support/test-cluster.js";
import { between, ofType, sentSince, tickOnly, tickUntil } from "../support/scenario-helpers.js";

const T = 10;

describe("CheckQuorum (dissertation §6.2)", () => {
  it("a partitioned leader steps down within an election timeout of last hearing from a quorum (3 nodes, isolate leader) (§6.2)", () => {
    const c = new TestCluster(["a", "b", "c"], { checkQuorum: true });
    c.elect("a");
    // a last hears from b and c now: their acknowledgements of its no-op.
    c.isolate("a");

    tickOnly(c, ["a"], T);

    expect(c.raft("a").status()).toMatchObject({ role: "follower", leaderId: undefined });
  });

  it("a leader that keeps hearing from a quorum stays leader while one follower is cut off (§6.2)", () => {
    const c = new TestCluster(["a", "b", "c"], { checkQuorum: true });
    c.elect("a");
    c.isolate("c");

    tickOnly(c, ["a", "b"], 5 * T);

    expect(c.raft("a").status().role).toBe("leader");
  });

  it("followers that heard from their leader within an election timeout ignore a disruptive higher-term candidate (3 nodes, isolate a follower) (§4.2.3)", () => {
    // PreVote off, so the partitioned node really raises its term.
    const c = new TestCluster(["a", "b", "c"], { checkQuorum: true, preVote: false });
    c.elect("a");
    const term = c.raft("a").status().term;
    c.isolate("c");
    tickUntil(c, () => c.raft("c").status().term >= term + 2, { max: 10 * T });

    c.heal();
    const mark = c.sent.length;
    // c times out again and asks a and b, who heard from a within the election timeout.
    tickUntil(c, () => ofType(between(sentSince(c, mark), "c"), "RequestVote").length > 0, {
      max: 3 * T,
      only: ["c"],
    });

    const cTerm = c.raft("c").status().term;
    expect(cTerm).toBeGreaterThan(term);
    expect(ofType(sentSince(c, mark), "RequestVoteResult")).toEqual([]);
    expect(c.raft("a").status()).toMatchObject({ role: "leader", term });
    expect(c.raft("b").status()).toMatchObject({ term, leaderId: "a" });
  });
});
