/**
 * Quiescence (src/quiescence.ts): when a leader may put its group to sleep, what it tells its
 * followers, and the two calls a host's failure detector makes instead of the clock — a follower
 * forgetting a dead leader, and a quiesced leader stepping down when it lost its quorum.
 */
import { describe, expect, it } from "vitest";
import { nodeId } from "../../src/index.js";
import { TestCluster, bytes } from "../support/test-cluster.js";
import { ofType, sentSince, tickOnly } from "../support/scenario-helpers.js";

const T = 10;

function idleCluster(options: ConstructorParameters<typeof TestCluster>[1] = {}): TestCluster {
  const c = new TestCluster(["a", "b", "c"], { checkQuorum: true, preVote: true, ...options });
  c.elect("a");
  c.raft("a").propose(bytes("x"));
  c.stabilize();
  return c;
}

describe("quiescence", () => {
  it("a leader whose followers hold its whole log, applied, quiesces with one marked heartbeat each, carrying the commit index", () => {
    const c = idleCluster();
    const commit = c.raft("a").status().commitIndex;
    const mark = c.sent.length;

    expect(c.raft("a").quiesce()).toBe(true);
    c.stabilize();

    const heartbeats = ofType(sentSince(c, mark), "Heartbeat");
    expect(heartbeats.map((m) => [m.to, m.commitIndex, m.quiesce])).toEqual([
      ["b", commit, true],
      ["c", commit, true],
    ]);
    // Unanswered, so the answers do not wake the leader.
    expect(ofType(sentSince(c, mark), "HeartbeatResult")).toEqual([]);
    expect(c.raft("b").status().commitIndex).toBe(commit);
  });

  it("a leader does not quiesce while a follower lags behind its log", () => {
    const c = idleCluster();
    c.isolate("c");
    c.raft("a").propose(bytes("y"));
    c.stabilize();

    expect(c.raft("a").quiesce()).toBe(false);
  });

  it("a leader does not quiesce with an entry appended but not yet persisted", () => {
    const c = idleCluster();
    c.raft("a").propose(bytes("y"));

    expect(c.raft("a").quiesce()).toBe(false);
  });

  it("a leader quiesces without a lagging member the host says is down, but not without a quorum", () => {
    const c = idleCluster();
    c.isolate("c");
    c.raft("a").propose(bytes("y"));
    c.stabilize();

    expect(c.raft("a").quiesce(new Set([nodeId("b"), nodeId("c")]))).toBe(false);
    const mark = c.sent.length;
    expect(c.raft("a").quiesce(new Set([nodeId("c")]))).toBe(true);
    c.processReadies();
    expect(ofType(sentSince(c, mark), "Heartbeat").map((m) => m.to)).toEqual(["b"]);
  });

  it("a leader does not quiesce while a read waits for its heartbeat round", () => {
    const c = idleCluster();
    c.drop = (m) => m.type === "HeartbeatResult";
    c.raft("a").readIndex(bytes("r1"));
    c.stabilize();

    expect(c.raft("a").quiesce()).toBe(false);
  });

  it("a leader does not quiesce during a leadership transfer", () => {
    const c = idleCluster();
    c.drop = (m) => m.type === "TimeoutNow";
    c.raft("a").transferLeadership(nodeId("c"));
    c.stabilize();

    expect(c.raft("a").status().leadTransferee).toBe("c");
    expect(c.raft("a").quiesce()).toBe(false);
  });

  it("a leader does not quiesce in a joint configuration", () => {
    const c = idleCluster();
    // Leaving the joint configuration is never delivered, so the group stays joint.
    c.drop = (m) => m.type === "AppendEntries" && m.entries.some((e) => e.type === "config");
    c.raft("a").changeMembership([{ type: "remove", nodeId: nodeId("c") }]);
    c.stabilize();

    expect(c.raft("a").quiesce()).toBe(false);
  });

  it("a leader under lease reads never quiesces: the lease is kept by heartbeats", () => {
    const c = idleCluster({ readMode: "lease" });

    expect(c.raft("a").quiesce()).toBe(false);
  });

  it("followers and candidates cannot quiesce a group", () => {
    const c = idleCluster();

    expect(c.raft("b").quiesce()).toBe(false);
  });

  it("a follower that forgot its dead leader campaigns within the random part of its timeout, and one that forgot grants its PreVote at once", () => {
    const c = idleCluster();
    const term = c.raft("a").status().term;
    c.isolate("a");
    c.raft("b").forgetLeader();
    c.raft("c").forgetLeader();
    expect(c.raft("b").status().leaderId).toBeUndefined();

    // Only b's clock runs: c heard from a just now, so only having forgotten it lets c vote.
    tickOnly(c, ["b"], T);

    expect(c.raft("b").status()).toMatchObject({ role: "leader", term: term + 1 });
  });

  it('forgetLeader("later") grants votes at once but campaigns only after a whole timeout', () => {
    const c = idleCluster();
    const term = c.raft("a").status().term;
    c.isolate("a");
    c.raft("b").forgetLeader("later");
    c.raft("c").forgetLeader("soon");

    // b's timer starts from zero: within a timeout's lower bound it does not campaign...
    tickOnly(c, ["b"], T - 1);
    expect(c.raft("b").status()).toMatchObject({ role: "follower", term });
    // ...but it votes for c, whose forgetting counts the lower bound as passed.
    tickOnly(c, ["c"], T);
    expect(c.raft("c").status()).toMatchObject({ role: "leader", term: term + 1 });
  });

  it("a follower that did not forget its leader refuses the PreVote of one that did", () => {
    const c = idleCluster();
    const term = c.raft("a").status().term;
    c.isolate("a");
    c.raft("b").forgetLeader();

    tickOnly(c, ["b"], T);

    expect(c.raft("b").status()).toMatchObject({ role: "pre-candidate", term });
    expect(c.raft("c").status().leaderId).toBe("a");
  });

  it("a follower that still hears from its leader ignores forgetLeader's effect once the leader speaks again", () => {
    const c = idleCluster();
    c.raft("b").forgetLeader();
    c.raft("a").propose(bytes("y"));
    c.stabilize();

    expect(c.raft("b").status().leaderId).toBe("a");
  });

  it("forgetLeader on a leader does nothing", () => {
    const c = idleCluster();
    c.raft("a").forgetLeader();

    expect(c.raft("a").status().role).toBe("leader");
  });

  it("a quiesced leader told by its host that it lost its quorum steps down in its term", () => {
    const c = idleCluster();
    const term = c.raft("a").status().term;
    c.raft("a").quiesce();
    c.stabilize();

    c.raft("a").stepDown();

    expect(c.raft("a").status()).toMatchObject({ role: "follower", leaderId: undefined, term });
  });

  it("a woken leader resumes heartbeats and keeps its followers after a long sleep", () => {
    const c = idleCluster();
    c.raft("a").quiesce();
    c.stabilize();

    // The host does not tick any of them while quiesced; then the group wakes and ticks again.
    c.tickAll(3 * T);

    expect(c.raft("a").status().role).toBe("leader");
    expect(c.raft("b").status().leaderId).toBe("a");
  });
});
