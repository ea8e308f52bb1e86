/**
 * Paper tests for log replication (Raft §5.3): how a leader appends, replicates and commits;
 * how a follower checks, truncates and appends; how a leader finds where a follower's log matches
 * (including the fast-backtracking hint); and that every Figure 7 follower converges.
 */
import { describe, expect, it } from "vitest";
import { SeededRandom, nodeId } from "../../src/index.js";
import {
  PaperNetwork,
  PaperReplica,
  acceptAppend,
  appendEntries,
  appendEntriesResult,
  bytes,
  electLeader,
  entries,
  entry,
  ofType,
  requestVote,
} from "../support/paper-helpers.js";

const IDS = ["a", "b", "c", "d", "e"];

/** A leader `a` of `voters` whose no-op every follower has acknowledged (commit index 1). */
function establishedLeader(voters: number): PaperReplica {
  const a = new PaperReplica("a", {
    config: { preVote: false, checkQuorum: false },
    voters: IDS.slice(0, voters),
  });
  a.step(...ofType(electLeader(a), "AppendEntries").map(acceptAppend));
  a.flush();
  expect(a.status().commitIndex).toBe(1);
  return a;
}

describe("the leader's side (§5.3)", () => {
  it("a leader appends a proposal to its log and sends it to every follower after the entry that precedes it (§5.3)", () => {
    const a = establishedLeader(3);

    const outcome = a.raft.propose(bytes("x"));

    expect(outcome).toEqual({ type: "accepted", index: 2, term: 1 });
    const ready = a.takeReady();
    expect(ready?.entries).toEqual([{ type: "normal", index: 2, term: 1, data: bytes("x") }]);
    const appends = ofType(ready?.messages ?? [], "AppendEntries");
    expect(appends.map((m) => m.to).sort()).toEqual(["b", "c"]);
    for (const m of appends) {
      expect(m).toMatchObject({
        term: 1,
        prevLogIndex: 1,
        prevLogTerm: 1,
        leaderCommit: 1,
        entries: ready?.entries,
      });
    }
  });

  const acknowledgements = [
    { voters: 1, acceptors: [], committed: true },
    { voters: 3, acceptors: [], committed: false },
    { voters: 3, acceptors: ["b"], committed: true },
    { voters: 3, acceptors: ["b", "c"], committed: true },
    { voters: 5, acceptors: [], committed: false },
    { voters: 5, acceptors: ["b"], committed: false },
    { voters: 5, acceptors: ["b", "c"], committed: true },
    { voters: 5, acceptors: ["b", "c", "d", "e"], committed: true },
  ] as const;

  it.each(acknowledgements)(
    "a leader of $voters voters whose entry is stored by itself and $acceptors has committed it: $committed (majority rule, §5.3)",
    ({ voters, acceptors, committed }) => {
      const a = establishedLeader(voters);
      a.raft.propose(bytes("x"));
      const appends = ofType(a.flush(), "AppendEntries");

      a.step(
        ...appends.filter((m) => (acceptors as readonly string[]).includes(m.to)).map(acceptAppend),
      );
      a.flush();

      expect(a.status().commitIndex).toBe(committed ? 2 : 1);
    },
  );

  it("a leader counts its own copy of an entry toward a majority only once the host has persisted it (§5.3, Ready contract)", () => {
    const a = establishedLeader(5);
    a.raft.propose(bytes("x"));
    const ready = a.takeReady(); // being persisted; not yet advanced
    const appends = ofType(ready?.messages ?? [], "AppendEntries");

    a.step(
      ...appends.filter((m) => m.to === nodeId("b") || m.to === nodeId("c")).map(acceptAppend),
    );
    expect(a.status().commitIndex).toBe(1);

    if (ready !== undefined) a.advance(ready);
    expect(a.status().commitIndex).toBe(2);
  });

  it("a leader tells every follower its new commit index in the AppendEntries it sends next (§5.3)", () => {
    const a = establishedLeader(3);
    a.raft.propose(bytes("x"));
    const appends = ofType(a.flush(), "AppendEntries");

    a.step(...appends.filter((m) => m.to === nodeId("b")).map(acceptAppend));
    const next = ofType(a.flush(), "AppendEntries");

    for (const id of ["b", "c"]) {
      expect(next.filter((m) => m.to === nodeId(id)).map((m) => m.leaderCommit)).toContain(2);
    }
  });

  it("a leader that commits an entry commits every entry before it, from any term, and hands them out in order (§5.3)", () => {
    const a = new PaperReplica("a", {
      config: { preVote: false, checkQuorum: false },
      log: [1, 1, 2],
      term: 2,
    });
    const noop = ofType(electLeader(a), "AppendEntries");

    a.step(...noop.filter((m) => m.to === nodeId("b")).map(acceptAppend));
    a.flush();

    expect(a.status().commitIndex).toBe(4);
    expect(a.applied.map((e) => [e.index, e.term])).toEqual([
      [1, 1],
      [2, 1],
      [3, 2],
      [4, 3],
    ]);
  });

  it("a leader that learns of a mismatch retries with the entry before, and eventually matches (§5.3)", () => {
    const a = new PaperReplica("a", {
      config: { preVote: false, checkQuorum: false },
      log: [1, 1, 1],
      term: 1,
    });
    const probe = ofType(electLeader(a), "AppendEntries").find((m) => m.to === nodeId("b"));
    expect(probe).toMatchObject({ prevLogIndex: 3, prevLogTerm: 1 });

    // b holds [1, 1] only: the previous entry (3) is missing, and b says so without a hint.
    a.step(
      appendEntriesResult("b", "a", 2, { success: false, index: 3, hintIndex: 3, hintTerm: 0 }),
    );
    const retry = ofType(a.flush(), "AppendEntries").find((m) => m.to === nodeId("b"));

    expect(retry).toMatchObject({ prevLogIndex: 2, prevLogTerm: 1 });
    expect(retry?.entries.map((e) => e.index)).toEqual([3, 4]);
  });

  it("a leader that gets a rejection with a hint resumes after its last entry at or below the hint whose term is at most the hint's term (§5.3)", () => {
    const a = new PaperReplica("a", {
      config: { preVote: false, checkQuorum: false },
      log: [1, 3, 3, 3, 3, 3, 3, 3, 7],
      term: 7,
    });
    electLeader(a); // term 8, no-op at 10, probing b after 9

    // b's log is [1, 1, 1, 1, 2, 2]: its entry at 6 has term 2.
    a.step(
      appendEntriesResult("b", "a", 8, { success: false, index: 9, hintIndex: 6, hintTerm: 2 }),
    );
    const retry = ofType(a.flush(), "AppendEntries").find((m) => m.to === nodeId("b"));

    expect(retry).toMatchObject({ prevLogIndex: 1, prevLogTerm: 1 });
  });

  it("a leader never overwrites or deletes entries in its own log, whatever it receives (§5.3 Leader Append-Only)", () => {
    const a = new PaperReplica("a", {
      config: { preVote: false, checkQuorum: false },
      log: [1, 1, 2],
      term: 2,
    });
    electLeader(a);
    const before = [1, 2, 3, 4].map((i) => a.entryAt(i));

    a.step(
      appendEntries("c", "a", 2, {
        prevLogIndex: 1,
        prevLogTerm: 1,
        entries: entries(2, [2, 2, 2]),
        leaderCommit: 4,
      }),
      appendEntriesResult("b", "a", 3, { success: false, index: 3, hintIndex: 1, hintTerm: 1 }),
      appendEntriesResult("c", "a", 3, { success: false, index: 1, hintIndex: 0, hintTerm: 0 }),
      requestVote("c", "a", 3, { lastLogIndex: 9, lastLogTerm: 3 }),
      appendEntriesResult("b", "a", 3, { success: true, index: 4 }),
    );
    a.flush();
    a.raft.propose(bytes("x"));
    a.flush();

    expect(a.status().role).toBe("leader");
    expect([1, 2, 3, 4].map((i) => a.entryAt(i))).toEqual(before);
    expect(a.logTerms()).toEqual([1, 1, 2, 3, 3]);
  });
});

describe("the follower's side (§5.3)", () => {
  it("a follower advances its commit index to the leader's and hands the newly committed entries out in order (§5.3)", () => {
    const b = new PaperReplica("b", { config: { preVote: false, checkQuorum: false }, term: 1 });

    b.step(
      appendEntries("a", "b", 1, {
        prevLogIndex: 0,
        prevLogTerm: 0,
        entries: entries(1, [1, 1, 1]),
        leaderCommit: 2,
      }),
    );
    b.flush();

    expect(b.status().commitIndex).toBe(2);
    expect(b.applied).toEqual(entries(1, [1, 1]));
  });

  it("a follower commits no further than the last entry the AppendEntries vouches for (§5.3)", () => {
    const b = new PaperReplica("b", {
      config: { preVote: false, checkQuorum: false },
      log: [1, 1, 1],
      term: 1,
    });

    b.step(appendEntries("a", "b", 1, { prevLogIndex: 1, prevLogTerm: 1, leaderCommit: 3 }));
    b.flush();

    expect(b.status().commitIndex).toBe(1);
  });

  it.each([
    { prevLogIndex: 0, prevLogTerm: 0, index: 1, why: "below the commit index" },
    { prevLogIndex: 1, prevLogTerm: 1, index: 1, why: "at a matching entry" },
    { prevLogIndex: 2, prevLogTerm: 2, index: 2, why: "at its matching last entry" },
  ])(
    "a follower accepts an AppendEntries whose previous entry ($prevLogIndex, $prevLogTerm) matches its log, $why (§5.3)",
    ({ prevLogIndex, prevLogTerm, index }) => {
      const b = new PaperReplica("b", {
        config: { preVote: false, checkQuorum: false },
        log: [1, 2],
        term: 2,
        commitIndex: 1,
      });

      b.step(appendEntries("a", "b", 2, { prevLogIndex, prevLogTerm, leaderCommit: 1 }));

      expect(ofType(b.flush(), "AppendEntriesResult")).toEqual([
        expect.objectContaining({ to: "a", term: 2, success: true, index }),
      ]);
    },
  );

  it.each([
    { prevLogIndex: 2, prevLogTerm: 1, why: "holds that index with another term" },
    { prevLogIndex: 3, prevLogTerm: 2, why: "does not hold that index" },
    { prevLogIndex: 3, prevLogTerm: 3, why: "does not hold that index or term" },
  ])(
    "a follower rejects an AppendEntries whose previous entry ($prevLogIndex, $prevLogTerm) it $why, and keeps its log (§5.3)",
    ({ prevLogIndex, prevLogTerm }) => {
      const b = new PaperReplica("b", {
        config: { preVote: false, checkQuorum: false },
        log: [1, 2],
        term: 2,
        commitIndex: 1,
      });

      b.step(
        appendEntries("a", "b", 2, {
          prevLogIndex,
          prevLogTerm,
          entries: [entry(prevLogIndex + 1, 2)],
          leaderCommit: 1,
        }),
      );

      expect(ofType(b.flush(), "AppendEntriesResult")).toEqual([
        expect.objectContaining({ to: "a", term: 2, success: false, index: prevLogIndex }),
      ]);
      expect(b.logTerms()).toEqual([1, 2]);
    },
  );

  it.each([
    {
      prevLogIndex: 2,
      prevLogTerm: 2,
      incoming: [3],
      from: 3,
      result: [1, 2, 3],
      why: "appends new entries after its last",
    },
    {
      prevLogIndex: 1,
      prevLogTerm: 1,
      incoming: [3, 4],
      from: 2,
      result: [1, 3, 4],
      why: "replaces a conflicting suffix",
    },
    {
      prevLogIndex: 0,
      prevLogTerm: 0,
      incoming: [1],
      from: 1,
      result: [1, 2],
      why: "keeps the entries after ones that agree",
    },
    {
      prevLogIndex: 0,
      prevLogTerm: 0,
      incoming: [3],
      from: 1,
      result: [3],
      why: "replaces its whole log when the first entry conflicts",
    },
  ])(
    "a follower with log [1, 2] given $incoming after ($prevLogIndex, $prevLogTerm) $why: $result (§5.3)",
    ({ prevLogIndex, prevLogTerm, incoming, from, result }) => {
      const b = new PaperReplica("b", {
        config: { preVote: false, checkQuorum: false },
        log: [1, 2],
        term: 2,
      });

      b.step(
        appendEntries("a", "b", 4, { prevLogIndex, prevLogTerm, entries: entries(from, incoming) }),
      );
      b.flush();

      expect(b.logTerms()).toEqual(result);
      expect(b.status().lastIndex).toBe(result.length);
    },
  );

  it("a follower that lacks the previous entry hints at its last index, so the leader skips the gap (§5.3)", () => {
    const b = new PaperReplica("b", {
      config: { preVote: false, checkQuorum: false },
      log: [1, 2],
      term: 2,
    });

    b.step(appendEntries("a", "b", 3, { prevLogIndex: 5, prevLogTerm: 3 }));

    expect(ofType(b.flush(), "AppendEntriesResult")).toEqual([
      expect.objectContaining({ success: false, index: 5, hintIndex: 2, hintTerm: 2 }),
    ]);
  });

  it("a follower whose entry at the previous index has a later term hints at its last entry whose term is at most the leader's previous term (§5.3)", () => {
    // etcd-io/raft's example: the follower skips its whole run of terms 4, 5 and 5 at once.
    const b = new PaperReplica("b", {
      config: { preVote: false, checkQuorum: false },
      log: [1, 3, 3, 4, 4, 5, 5, 5, 6],
      term: 6,
    });

    b.step(appendEntries("a", "b", 7, { prevLogIndex: 8, prevLogTerm: 3 }));

    expect(ofType(b.flush(), "AppendEntriesResult")).toEqual([
      expect.objectContaining({ success: false, index: 8, hintIndex: 3, hintTerm: 3 }),
    ]);
  });

  it("a follower whose entry at the previous index has an earlier term hints at that entry (§5.3)", () => {
    const b = new PaperReplica("b", {
      config: { preVote: false, checkQuorum: false },
      log: [1, 1, 1, 1, 2, 2],
      term: 2,
    });

    b.step(appendEntries("a", "b", 5, { prevLogIndex: 6, prevLogTerm: 5 }));

    expect(ofType(b.flush(), "AppendEntriesResult")).toEqual([
      expect.objectContaining({ success: false, index: 6, hintIndex: 6, hintTerm: 2 }),
    ]);
  });
});

describe("finding the match point (§5.3)", () => {
  function rejections(net: PaperNetwork, from: string): number {
    return ofType(net.sent, "AppendEntriesResult").filter(
      (m) => m.from === nodeId(from) && !m.success,
    ).length;
  }

  it("a leader catches up a much shorter follower after a single rejection (§5.3)", () => {
    const config = { preVote: false, checkQuorum: false };
    const net = new PaperNetwork([
      new PaperReplica("a", { config, voters: ["a", "b"], log: [1, 1, 1, 1, 1, 1, 1, 1], term: 1 }),
      new PaperReplica("b", { config, voters: ["a", "b"], log: [1], term: 1 }),
    ]);

    net.campaign("a");

    expect(rejections(net, "b")).toBe(1);
    expect(net.get("b").logTerms()).toEqual(net.get("a").logTerms());
  });

  it("a leader skips a follower's whole run of conflicting terms per round trip, not one entry at a time (§5.3)", () => {
    const config = { preVote: false, checkQuorum: false };
    const net = new PaperNetwork([
      new PaperReplica("a", {
        config,
        voters: ["a", "b"],
        log: [1, 3, 3, 3, 3, 3, 3, 3, 7],
        term: 7,
      }),
      new PaperReplica("b", {
        config,
        voters: ["a", "b"],
        log: [1, 3, 3, 4, 4, 5, 5, 5, 6],
        term: 6,
      }),
    ]);

    net.campaign("a");

    expect(net.get("b").logTerms()).toEqual([1, 3, 3, 3, 3, 3, 3, 3, 7, 8]);
    expect(rejections(net, "b")).toBeLessThanOrEqual(2);
  });

  // Raft Figure 7: the leader of term 8 and followers (a)-(f). (a), (b) miss entries; (c), (d)
  // have extra uncommitted entries; (e), (f) both miss some and have extra ones.
  const LEADER_LOG = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
  const FIGURE_7 = [
    { name: "(a)", log: [1, 1, 1, 4, 4, 5, 5, 6, 6] },
    { name: "(b)", log: [1, 1, 1, 4] },
    { name: "(c)", log: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6] },
    { name: "(d)", log: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7] },
    { name: "(e)", log: [1, 1, 1, 4, 4, 4, 4] },
    { name: "(f)", log: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3] },
  ];

  it.each(FIGURE_7)(
    "a leader brings Figure 7's follower $name into agreement with its own log, which it keeps (§5.3)",
    ({ log }) => {
      const config = { preVote: false, checkQuorum: false, heartbeatTicks: 1 };
      const net = new PaperNetwork([
        new PaperReplica("a", { config, log: LEADER_LOG, term: 8, commitIndex: 3 }),
        new PaperReplica("b", { config, log, commitIndex: 3 }),
        new PaperReplica("c", { config, log: LEADER_LOG, term: 8, commitIndex: 3 }),
      ]);

      net.campaign("a");
      net.tickAll(1); // one heartbeat: the commit index reaches b even if b acknowledged last

      expect(net.get("a").status()).toMatchObject({ role: "leader", term: 9, commitIndex: 11 });
      expect(net.get("a").logTerms()).toEqual([...LEADER_LOG, 9]);
      expect(net.get("b").logTerms()).toEqual([...LEADER_LOG, 9]);
      expect(net.get("b").status().commitIndex).toBe(11);
      // Applied is not persisted, so a restarted replica applies again from the start (§5.3).
      expect(net.get("b").applied.map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    },
  );

  it("a leader brings all of Figure 7's followers at once into agreement with its log (§5.3)", () => {
    const config = { preVote: false, checkQuorum: false };
    const followers = FIGURE_7.map(({ name, log }) => ({ id: name.slice(1, 2), log }));
    const voters = ["leader", ...followers.map((f) => f.id)];
    const net = new PaperNetwork([
      new PaperReplica("leader", { config, voters, log: LEADER_LOG, term: 8 }),
      ...followers.map(({ id, log }) => new PaperReplica(id, { config, voters, log })),
    ]);

    net.campaign("leader");

    expect(net.get("leader").status().role).toBe("leader");
    for (const replica of net.replicas.values())
      expect(replica.logTerms()).toEqual([...LEADER_LOG, 9]);
  });
});

describe("Log Matching (§5.3)", () => {
  it("two logs that hold an entry with the same index and term are identical up to it, under partitions and elections (§5.3)", () => {
    for (let seed = 1; seed <= 10; seed++) {
      const net = new PaperNetwork(
        IDS.map(
          (id, k) =>
            new PaperReplica(id, {
              config: { preVote: true, checkQuorum: true, electionTicks: 10 },
              voters: IDS,
              random: new SeededRandom(seed * 10 + k),
            }),
        ),
      );
      const chaos = new SeededRandom(seed);
      for (let tick = 0; tick < 300; tick++) {
        if (tick % 20 === 0) {
          net.reconnect(...IDS);
          for (let i = chaos.nextInt(3); i > 0; i--)
            net.disconnect(IDS[chaos.nextInt(IDS.length)] ?? "a");
        }
        for (const leader of net.leaders())
          if (chaos.chance(0.5)) leader.raft.propose(bytes(`${seed}/${tick}`));
        net.tickAll();
      }
      const logs = [...net.replicas.values()].map((r) =>
        Array.from({ length: r.storage.lastIndex() }, (_, i) => r.entryAt(i + 1)),
      );
      for (const x of logs) {
        for (const y of logs) {
          for (let i = Math.min(x.length, y.length); i >= 1; i--) {
            if (x[i - 1]?.term === y[i - 1]?.term) {
              expect(x.slice(0, i), `seed ${seed}: logs agree at ${i} but not before`).toEqual(
                y.slice(0, i),
              );
              break;
            }
          }
        }
      }
      expect(
        Math.max(...logs.map((l) => l.length)),
        `seed ${seed}: something was replicated`,
      ).toBeGreaterThan(5);
    }
  });
});
