/**
 * Dissertation tests for linearizable reads without log writes (dissertation §6.4): ReadIndex
 * records the commit index, confirms leadership with a heartbeat round, and answers with a
 * ReadState; a leader that has not committed in its term waits; followers ask the leader; lease
 * mode (§6.4.1) skips the round.
 */
import { describe, expect, it } from "vitest";
import { nodeId } from "../../src/index.js";
import { TestCluster, bytes } from "../support/test-cluster.js";
import {
  between,
  leaderOf,
  ofType,
  sentSince,
  tickOnly,
  tickUntil,
} from "../support/scenario-helpers.js";

const T = 10;

describe("ReadIndex (dissertation §6.4)", () => {
  it("a read on the leader yields a ReadState at its commit index only once a quorum acknowledges a heartbeat (§6.4)", () => {
    const c = new TestCluster(["a", "b", "c"]);
    c.elect("a");
    c.raft("a").propose(bytes("x"));
    c.stabilize();
    const commitIndex = c.raft("a").status().commitIndex;
    c.drop = (m) => m.type === "HeartbeatResult";

    expect(c.raft("a").readIndex(bytes("r1"))).toEqual({ type: "pending" });
    c.stabilize();
    expect(ofType(between(c.sent, "a"), "Heartbeat").length).toBeGreaterThan(0);
    expect(c.get("a").readStates).toEqual([]);

    // Only b answers: with a itself that is a quorum of three.
    c.drop = (m) => m.type === "HeartbeatResult" && m.from === "c";
    tickOnly(c, ["a"]);

    expect(c.get("a").readStates).toEqual([{ index: commitIndex, context: bytes("r1") }]);
  });

  it("a read on a new leader waits until it has committed an entry of its own term, then uses that commit index (§6.4)", () => {
    const c = new TestCluster(["a", "b", "c"]);
    c.elect("a");
    c.raft("a").propose(bytes("x"));
    c.stabilize();
    // b takes over, but hears no acknowledgement of its no-op yet.
    c.drop = (m) => m.type === "AppendEntriesResult" && m.to === "b";
    c.raft("a").transferLeadership(nodeId("b"));
    c.stabilize();
    const b = c.get("b");
    expect(b.raft.status()).toMatchObject({ role: "leader", commitIndex: 2, lastIndex: 3 });

    expect(b.raft.readIndex(bytes("r1"))).toEqual({ type: "pending" });
    tickOnly(c, ["b"], 2);
    expect(b.readStates).toEqual([]);

    c.heal();
    tickOnly(c, ["b"]);
    expect(b.raft.status().commitIndex).toBe(3);
    expect(b.readStates).toEqual([{ index: 3, context: bytes("r1") }]);
  });

  it("a read on a follower is forwarded to the leader and answered with the leader's read index (§6.4)", () => {
    const c = new TestCluster(["a", "b", "c"]);
    c.elect("a");
    c.raft("a").propose(bytes("x"));
    c.stabilize();
    const mark = c.sent.length;

    expect(c.raft("b").readIndex(bytes("r1"))).toEqual({ type: "pending" });
    c.stabilize();

    const sent = sentSince(c, mark);
    expect(ofType(between(sent, "b", "a"), "ReadIndexRequest")).toHaveLength(1);
    expect(ofType(between(sent, "a", "b"), "ReadIndexResponse")).toHaveLength(1);
    expect(c.get("b").readStates).toEqual([
      { index: c.raft("a").status().commitIndex, context: bytes("r1") },
    ]);
    expect(c.get("a").readStates).toEqual([]);
  });

  it("a deposed leader that cannot reach a quorum never yields a ReadState (3 nodes, isolate leader) (§6.4)", () => {
    const c = new TestCluster(["a", "b", "c"]);
    c.elect("a");
    c.isolate("a");
    tickUntil(c, () => leaderOf(c, ["b", "c"]) !== undefined, { max: 5 * T, only: ["b", "c"] });
    leaderOf(c, ["b", "c"])?.raft.propose(bytes("newer"));
    c.stabilize();
    expect(c.raft("a").status().role).toBe("leader");

    expect(c.raft("a").readIndex(bytes("r1"))).toEqual({ type: "pending" });
    tickOnly(c, ["a"], T - 1);
    expect(c.get("a").readStates).toEqual([]);
    c.heal();
    tickOnly(c, ["a", "b", "c"], 2 * T);

    expect(c.raft("a").status().role).toBe("follower");
    expect(c.get("a").readStates).toEqual([]);
  });

  it("in lease mode a read on the leader is answered at once, without a heartbeat round (§6.4.1)", () => {
    const c = new TestCluster(["a", "b", "c"], { readMode: "lease", checkQuorum: true });
    c.elect("a");
    c.raft("a").propose(bytes("x"));
    c.stabilize();
    const mark = c.sent.length;

    c.raft("a").readIndex(bytes("r1"));
    c.processReadies();

    expect(c.get("a").readStates).toEqual([
      { index: c.raft("a").status().commitIndex, context: bytes("r1") },
    ]);
    expect(sentSince(c, mark)).toEqual([]);
  });

  it("in lease mode a leader cut off from its followers stops answering reads before they can elect another leader (3 nodes, isolate leader) (§6.4.1)", () => {
    const c = new TestCluster(["a", "b", "c"], { readMode: "lease", checkQuorum: true });
    c.elect("a");
    c.isolate("a");
    // b and c may vote for another leader once an election timeout has passed without a's
    // messages; a's lease must have run out by then.
    tickUntil(c, () => leaderOf(c, ["b", "c"]) !== undefined, { max: 5 * T });
    const next = leaderOf(c, ["b", "c"]);
    next?.raft.propose(bytes("newer"));
    c.stabilize();
    expect(next?.raft.status().commitIndex).toBe(3);

    c.raft("a").readIndex(bytes("r1"));
    c.stabilize();

    expect(c.get("a").readStates).toEqual([]);
  });
});
