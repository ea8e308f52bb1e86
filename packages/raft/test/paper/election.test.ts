/**
 * Paper tests for terms (Raft §5.1), leader election (§5.2) and the election restriction
 * (§5.4.1), in the spirit of etcd-io/raft's raft_paper_test.go: each test sets up a state,
 * drives the core with single messages or ticks, and checks what it sends and becomes.
 */
import { describe, expect, it } from "vitest";
import { SeededRandom, nodeId, type Message } from "../../src/index.js";
import {
  FIXED_RANDOM,
  PaperNetwork,
  PaperReplica,
  appendEntries,
  appendEntriesResult,
  bytes,
  electLeader,
  entries,
  heartbeat,
  ofType,
  requestVote,
  requestVoteResult,
} from "../support/paper-helpers.js";

const T = 10;

describe("terms (§5.1)", () => {
  const roles = ["follower", "candidate", "leader"] as const;
  const higherTermMessages = [
    [
      "AppendEntries",
      (term: number): Message => appendEntries("b", "a", term, { prevLogIndex: 0, prevLogTerm: 0 }),
    ],
    [
      "RequestVote",
      (term: number): Message => requestVote("b", "a", term, { lastLogIndex: 0, lastLogTerm: 0 }),
    ],
    ["Heartbeat", (term: number): Message => heartbeat("b", "a", term)],
  ] as const;
  const cases = roles.flatMap((role) =>
    higherTermMessages.map(([type, make]) => ({ role, type, make })),
  );

  it.each(cases)(
    "a $role that receives a $type from a later term adopts that term and is a follower (§5.1)",
    ({ role, make }) => {
      const a = new PaperReplica("a", { config: { preVote: false, checkQuorum: false } });
      if (role === "candidate") a.raft.campaign();
      if (role === "leader") electLeader(a);
      a.flush();
      expect(a.status().role).toBe(role);
      const term = a.status().term + 3;

      a.step(make(term));

      expect(a.status()).toMatchObject({ term, role: "follower" });
      a.flush();
      expect(a.hardState().term).toBe(term);
    },
  );

  it("a replica that learns a later term from a message forgets its vote of the earlier term (§5.1)", () => {
    const a = new PaperReplica("a", {
      config: { preVote: false, checkQuorum: false },
      term: 2,
      vote: "b",
    });

    a.step(heartbeat("c", "a", 3));

    expect(a.status()).toMatchObject({ term: 3, vote: undefined });
  });

  it("a replica ignores an AppendEntries from an earlier term and keeps its log (§5.1)", () => {
    const a = new PaperReplica("a", {
      config: { preVote: false, checkQuorum: false },
      log: [1, 2],
      term: 2,
    });

    a.step(
      appendEntries("b", "a", 1, {
        prevLogIndex: 1,
        prevLogTerm: 1,
        entries: entries(2, [1, 1]),
        leaderCommit: 3,
      }),
    );

    expect(a.flush()).toEqual([]);
    expect(a.logTerms()).toEqual([1, 2]);
    expect(a.status()).toMatchObject({
      term: 2,
      commitIndex: 0,
      role: "follower",
      leaderId: undefined,
    });
  });

  it("a replica does not grant its vote to a candidate from an earlier term (§5.1)", () => {
    const a = new PaperReplica("a", { config: { preVote: false, checkQuorum: false }, term: 3 });

    a.step(requestVote("b", "a", 2, { lastLogIndex: 5, lastLogTerm: 2 }));

    expect(ofType(a.flush(), "RequestVoteResult").filter((m) => m.granted)).toEqual([]);
    expect(a.status()).toMatchObject({ term: 3, vote: undefined });
  });

  it("with CheckQuorum, a replica answers a stale leader with its own term so that leader steps down (§5.1)", () => {
    const a = new PaperReplica("a", {
      config: { preVote: false, checkQuorum: true },
      log: [1],
      term: 3,
    });
    const staleLeader = new PaperReplica("b", {
      config: { preVote: false, checkQuorum: true },
      log: [1],
      term: 1,
    });
    const noop = electLeader(staleLeader); // term 2, while a has already moved on to term 3
    const toA = ofType(noop, "AppendEntries").filter((m) => m.to === nodeId("a"));

    a.step(...toA);
    const answers = ofType(a.flush(), "AppendEntriesResult");
    expect(answers).toEqual([expect.objectContaining({ to: "b", term: 3, success: false })]);
    staleLeader.step(...answers);

    expect(staleLeader.status()).toMatchObject({ role: "follower", term: 3 });
  });
});

describe("leader election (§5.2)", () => {
  it("a replica starts as a follower in term 0 (§5.2)", () => {
    const a = new PaperReplica("a", { config: { preVote: false, checkQuorum: false } });

    expect(a.status()).toMatchObject({
      role: "follower",
      term: 0,
      vote: undefined,
      leaderId: undefined,
    });
  });

  it("a leader sends a heartbeat to every other replica each heartbeatTicks (§5.2)", () => {
    const a = new PaperReplica("a", {
      config: { preVote: false, checkQuorum: false, electionTicks: T, heartbeatTicks: 3 },
    });
    electLeader(a);

    for (let round = 0; round < 4; round++) {
      a.tick(2);
      expect(ofType(a.flush(), "Heartbeat")).toEqual([]);
      a.tick();
      const beats = ofType(a.flush(), "Heartbeat");
      expect(beats.map((m) => m.to).sort()).toEqual(["b", "c"]);
      expect(beats.every((m) => m.term === 1 && m.from === nodeId("a"))).toBe(true);
    }
  });

  it("a follower that hears nothing for its election timeout becomes a candidate of the next term and votes for itself (§5.2)", () => {
    const a = new PaperReplica("a", {
      config: { preVote: false, checkQuorum: false, electionTicks: T },
      log: [1, 1, 2],
      term: 2,
      random: FIXED_RANDOM,
    });

    a.tick(T - 1);
    expect(a.status().role).toBe("follower");
    a.tick();

    expect(a.status()).toMatchObject({ role: "candidate", term: 3, vote: "a" });
  });

  it("a candidate asks every other voter for its vote with its term and the index and term of its last entry (§5.2)", () => {
    const a = new PaperReplica("a", {
      config: { preVote: false, checkQuorum: false, electionTicks: T },
      voters: ["a", "b", "c", "d", "e"],
      log: [1, 1, 2],
      term: 2,
      random: FIXED_RANDOM,
    });

    a.tick(T);

    const requests = ofType(a.flush(), "RequestVote");
    expect(requests.map((m) => m.to).sort()).toEqual(["b", "c", "d", "e"]);
    for (const m of requests) {
      expect(m).toMatchObject({
        from: "a",
        term: 3,
        lastLogIndex: 3,
        lastLogTerm: 2,
        preVote: false,
      });
    }
  });

  it("with PreVote, a follower whose election times out first polls the voters, without changing its term or vote (§5.2, §9.6)", () => {
    const a = new PaperReplica("a", {
      config: { preVote: true, checkQuorum: false, electionTicks: T },
      log: [1, 2],
      term: 2,
      vote: "c",
      random: FIXED_RANDOM,
    });

    a.tick(T);

    expect(a.status()).toMatchObject({ role: "pre-candidate", term: 2, vote: "c" });
    const requests = ofType(a.flush(), "RequestVote");
    expect(requests.map((m) => m.to).sort()).toEqual(["b", "c"]);
    for (const m of requests)
      expect(m).toMatchObject({ term: 3, lastLogIndex: 2, lastLogTerm: 2, preVote: true });
    expect(a.hardState()).toMatchObject({ term: 2, vote: "c" });
  });

  it("with PreVote, a pre-candidate that a majority would vote for starts a real election in the next term (§5.2, §9.6)", () => {
    const a = new PaperReplica("a", {
      config: { preVote: true, checkQuorum: false, electionTicks: T },
      log: [1],
      term: 1,
      random: FIXED_RANDOM,
    });
    a.tick(T);
    a.flush();

    a.step(requestVoteResult("b", "a", 2, true, true));

    expect(a.status()).toMatchObject({ role: "candidate", term: 2, vote: "a" });
    const requests = ofType(a.flush(), "RequestVote");
    expect(requests.map((m) => [m.to, m.term, m.preVote])).toEqual([
      ["b", 2, false],
      ["c", 2, false],
    ]);
  });

  it("a follower that keeps hearing from its leader never starts an election (§5.2)", () => {
    const a = new PaperReplica("a", {
      config: { preVote: false, checkQuorum: false, electionTicks: T },
      term: 1,
      random: FIXED_RANDOM,
    });

    for (let i = 0; i < 10 * T; i++) {
      a.tick();
      if (i % (T - 1) === 0) a.step(heartbeat("b", "a", 1));
    }

    expect(a.status()).toMatchObject({ role: "follower", term: 1, leaderId: "b" });
    expect(ofType(a.flush(), "RequestVote")).toEqual([]);
  });

  it("granting a vote restarts the voter's election timer (§5.2)", () => {
    const a = new PaperReplica("a", {
      config: { preVote: false, checkQuorum: false, electionTicks: T },
      term: 1,
      random: FIXED_RANDOM,
    });
    a.tick(T - 1);

    a.step(requestVote("b", "a", 1, { lastLogIndex: 0, lastLogTerm: 0 }));
    a.tick(T - 1);

    expect(a.status()).toMatchObject({ role: "follower", term: 1, vote: "b" });
    a.tick();
    expect(a.status()).toMatchObject({ role: "candidate", term: 2 });
  });

  it("a candidate whose election times out without a winner starts a new election in the next term (§5.2)", () => {
    const a = new PaperReplica("a", {
      config: { preVote: false, checkQuorum: false, electionTicks: T },
      term: 1,
      random: FIXED_RANDOM,
    });
    a.raft.campaign();
    a.flush();
    expect(a.status()).toMatchObject({ role: "candidate", term: 2 });

    a.tick(T);

    expect(a.status()).toMatchObject({ role: "candidate", term: 3, vote: "a" });
    expect(ofType(a.flush(), "RequestVote").map((m) => [m.to, m.term])).toEqual([
      ["b", 3],
      ["c", 3],
    ]);
  });

  const voteRounds = [
    { voters: 1, granted: [], rejected: [], role: "leader" },
    { voters: 3, granted: ["b"], rejected: [], role: "leader" },
    { voters: 3, granted: ["b", "c"], rejected: [], role: "leader" },
    { voters: 5, granted: ["b", "c"], rejected: ["d", "e"], role: "leader" },
    { voters: 3, granted: [], rejected: ["b", "c"], role: "follower" },
    { voters: 5, granted: ["b"], rejected: ["c", "d", "e"], role: "follower" },
    { voters: 3, granted: [], rejected: ["b"], role: "candidate" },
    { voters: 5, granted: ["b"], rejected: [], role: "candidate" },
    { voters: 5, granted: ["b"], rejected: ["c", "d"], role: "candidate" },
    { voters: 5, granted: [], rejected: [], role: "candidate" },
  ] as const;

  it.each(voteRounds)(
    "a candidate of $voters voters granted by $granted and rejected by $rejected becomes $role: majority wins, majority against loses, else it waits (§5.2)",
    ({ voters, granted, rejected, role }) => {
      const ids = ["a", "b", "c", "d", "e"].slice(0, voters);
      const a = new PaperReplica("a", {
        config: { preVote: false, checkQuorum: false },
        voters: ids,
      });
      a.raft.campaign();
      a.flush();

      for (const id of granted) a.step(requestVoteResult(id, "a", 1, true));
      for (const id of rejected) a.step(requestVoteResult(id, "a", 1, false));

      expect(a.status()).toMatchObject({ role, term: 1 });
    },
  );

  it.each([
    { relation: "the candidate's own", term: 1 },
    { relation: "a later", term: 2 },
  ])(
    "a candidate that receives an AppendEntries from a leader of $relation term becomes its follower (§5.2)",
    ({ term }) => {
      const a = new PaperReplica("a", { config: { preVote: false, checkQuorum: false } });
      a.raft.campaign();
      a.flush();

      a.step(appendEntries("b", "a", term, { prevLogIndex: 0, prevLogTerm: 0 }));

      expect(a.status()).toMatchObject({ role: "follower", term, leaderId: "b" });
    },
  );

  it("a voter grants at most one vote per term, first come first served (§5.2)", () => {
    const a = new PaperReplica("a", { config: { preVote: false, checkQuorum: false }, term: 1 });

    a.step(requestVote("b", "a", 1, { lastLogIndex: 0, lastLogTerm: 0 }));
    a.step(requestVote("c", "a", 1, { lastLogIndex: 0, lastLogTerm: 0 }));

    expect(ofType(a.flush(), "RequestVoteResult").map((m) => [m.to, m.granted])).toEqual([
      ["b", true],
      ["c", false],
    ]);
    expect(a.hardState()).toMatchObject({ term: 1, vote: "b" });
  });

  it("a voter that voted in a term keeps refusing other candidates of that term after a restart (§5.2)", () => {
    const a = new PaperReplica("a", { config: { preVote: false, checkQuorum: false }, term: 1 });
    a.step(requestVote("b", "a", 1, { lastLogIndex: 0, lastLogTerm: 0 }));
    a.flush();

    a.restart();
    a.step(requestVote("c", "a", 1, { lastLogIndex: 0, lastLogTerm: 0 }));

    expect(ofType(a.flush(), "RequestVoteResult")).toEqual([
      expect.objectContaining({ to: "c", granted: false }),
    ]);
  });

  it("a replica draws a fresh election timeout at random from [T, 2T) each time its timer restarts (§5.2)", () => {
    const a = new PaperReplica("a", {
      config: { preVote: false, checkQuorum: false, electionTicks: T },
      random: new SeededRandom(7),
    });
    const timeouts = new Set<number>();

    for (let round = 0; round < 50 * T; round++) {
      const term = a.status().term;
      let ticks = 0;
      while (a.status().term === term) {
        a.tick();
        ticks++;
        expect(ticks).toBeLessThan(2 * T);
      }
      expect(ticks).toBeGreaterThanOrEqual(T);
      timeouts.add(ticks);
    }

    expect([...timeouts].sort((x, y) => x - y)).toEqual(Array.from({ length: T }, (_, i) => T + i));
  });

  it("replicas seeded differently rarely time out on the same tick, which makes split votes rare (§5.2)", () => {
    const trials = 300;
    let conflicts = 0;
    for (let trial = 0; trial < trials; trial++) {
      const ids = ["a", "b", "c", "d", "e"];
      const replicas = ids.map(
        (id, k) =>
          new PaperReplica(id, {
            config: { preVote: false, checkQuorum: false, electionTicks: T },
            voters: ids,
            random: new SeededRandom(1000 * trial + k),
          }),
      );
      let timedOut = 0;
      while (timedOut === 0) {
        for (const r of replicas) r.tick();
        timedOut = replicas.filter((r) => r.status().role === "candidate").length;
      }
      if (timedOut > 1) conflicts++;
    }

    expect(conflicts / trials).toBeLessThanOrEqual(0.3);
  });

  it("a leader appends a no-op entry of its new term as soon as it is elected, and sends it to every follower (§5.2, §8)", () => {
    const a = new PaperReplica("a", {
      config: { preVote: false, checkQuorum: false },
      log: [1, 1],
      term: 1,
    });

    const sent = electLeader(a);

    expect(a.status()).toMatchObject({ role: "leader", term: 2, lastIndex: 3 });
    expect(a.entryAt(3)).toEqual({ type: "noop", index: 3, term: 2 });
    const appends = ofType(sent, "AppendEntries");
    expect(appends.map((m) => m.to).sort()).toEqual(["b", "c"]);
    for (const m of appends) {
      expect(m).toMatchObject({
        term: 2,
        prevLogIndex: 2,
        prevLogTerm: 1,
        entries: [{ type: "noop", index: 3, term: 2 }],
      });
    }
  });

  it("at most one leader is elected in a term, whatever the partitions (§5.2 Election Safety)", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const ids = ["a", "b", "c", "d", "e"];
      const net = new PaperNetwork(
        ids.map(
          (id, k) =>
            new PaperReplica(id, {
              config: { preVote: seed % 2 === 0, checkQuorum: seed % 4 < 2, electionTicks: T },
              voters: ids,
              random: new SeededRandom(seed * 100 + k),
            }),
        ),
      );
      const chaos = new SeededRandom(seed);
      const leaderOfTerm = new Map<number, string>();
      for (let tick = 0; tick < 400; tick++) {
        if (tick % 15 === 0) {
          net.reconnect(...ids);
          const cut = chaos.nextInt(3);
          for (let i = 0; i < cut; i++) net.disconnect(ids[chaos.nextInt(ids.length)] ?? "a");
        }
        const leader = net.leaders()[0];
        if (leader !== undefined && chaos.chance(0.3))
          leader.raft.propose(bytes(`${seed}/${tick}`));
        net.tickAll();
        for (const replica of net.leaders()) {
          const term = replica.status().term;
          const known = leaderOfTerm.get(term);
          expect(known ?? replica.id, `seed ${seed}: two leaders in term ${term}`).toBe(replica.id);
          leaderOfTerm.set(term, replica.id);
        }
      }
      expect(leaderOfTerm.size, `seed ${seed}: some leader was elected`).toBeGreaterThan(0);
    }
  });

  it("a stale leader's AppendEntriesResult of an earlier term changes nothing for a candidate (§5.2)", () => {
    const a = new PaperReplica("a", { config: { preVote: false, checkQuorum: false }, term: 2 });
    a.raft.campaign();
    a.flush();

    a.step(appendEntriesResult("b", "a", 2, { success: true, index: 5 }));

    expect(a.status()).toMatchObject({ role: "candidate", term: 3 });
  });
});

describe("election restriction (§5.4.1)", () => {
  // The voter's log, and the candidate's last entry: granted only when the candidate's log is at
  // least as up-to-date (later last term, or the same last term and at least as long).
  const cases = [
    {
      voterLog: [1],
      lastLogIndex: 1,
      lastLogTerm: 1,
      granted: true,
      why: "same last term, same length",
    },
    {
      voterLog: [1],
      lastLogIndex: 2,
      lastLogTerm: 1,
      granted: true,
      why: "same last term, longer",
    },
    {
      voterLog: [1, 1],
      lastLogIndex: 1,
      lastLogTerm: 1,
      granted: false,
      why: "same last term, shorter",
    },
    {
      voterLog: [1],
      lastLogIndex: 1,
      lastLogTerm: 2,
      granted: true,
      why: "later last term, same length",
    },
    {
      voterLog: [1, 1],
      lastLogIndex: 1,
      lastLogTerm: 2,
      granted: true,
      why: "later last term, shorter",
    },
    {
      voterLog: [2],
      lastLogIndex: 1,
      lastLogTerm: 1,
      granted: false,
      why: "earlier last term, same length",
    },
    {
      voterLog: [2],
      lastLogIndex: 2,
      lastLogTerm: 1,
      granted: false,
      why: "earlier last term, longer",
    },
    {
      voterLog: [2, 1],
      lastLogIndex: 1,
      lastLogTerm: 1,
      granted: false,
      why: "same last term, shorter (voter's older term first)",
    },
  ] as const;

  it.each(cases)(
    "a voter whose log is $voterLog answers granted=$granted to a candidate ending at index $lastLogIndex term $lastLogTerm ($why) (§5.4.1)",
    ({ voterLog, lastLogIndex, lastLogTerm, granted }) => {
      const a = new PaperReplica("a", {
        config: { preVote: false, checkQuorum: false },
        log: voterLog,
        term: 2,
      });

      a.step(requestVote("b", "a", 3, { lastLogIndex, lastLogTerm }));

      expect(ofType(a.flush(), "RequestVoteResult")).toEqual([
        expect.objectContaining({ to: "b", term: 3, granted }),
      ]);
      expect(a.hardState()).toMatchObject({ term: 3, vote: granted ? "b" : undefined });
    },
  );

  it.each(cases)(
    "a PreVote poll applies the same up-to-date check: log $voterLog answers granted=$granted to index $lastLogIndex term $lastLogTerm (§5.4.1, §9.6)",
    ({ voterLog, lastLogIndex, lastLogTerm, granted }) => {
      const a = new PaperReplica("a", {
        config: { preVote: true, checkQuorum: false },
        log: voterLog,
        term: 2,
      });

      a.step(requestVote("b", "a", 3, { lastLogIndex, lastLogTerm, preVote: true }));

      expect(ofType(a.flush(), "RequestVoteResult")).toEqual([
        expect.objectContaining({ to: "b", granted, preVote: true }),
      ]);
      expect(a.hardState()).toMatchObject({ term: 2, vote: undefined });
    },
  );

  it("a replica that misses a committed entry cannot win an election (§5.4.1)", () => {
    const config = { preVote: false, checkQuorum: false, electionTicks: T };
    const net = new PaperNetwork(["a", "b", "c"].map((id) => new PaperReplica(id, { config })));
    net.campaign("a");
    net.disconnect("c");
    net.get("a").raft.propose(bytes("x"));
    net.stabilize();
    expect(net.get("a").status().commitIndex).toBe(2);

    net.disconnect("a");
    net.reconnect("c");
    net.campaign("c");
    net.campaign("c");

    expect(net.get("c").status().role).not.toBe("leader");
    net.campaign("b");
    expect(net.get("b").status().role).toBe("leader");
    expect(net.get("b").logTerms().slice(0, 2)).toEqual([1, 1]);
  });
});
