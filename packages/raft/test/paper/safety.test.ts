/**
 * Paper tests for safety (Raft §5.4): only current-term entries commit by counting (§5.4.2, with
 * the Figure 8 scenario), commit indexes never go back, Leader Completeness and State Machine
 * Safety under partitions and crashes; follower and candidate crashes (§5.5): retries are
 * indefinite and idempotent; and the Ready contract that makes a crash safe (Figure 2: persist
 * before answering).
 */
import { describe, expect, it } from "vitest";
import { SeededRandom, nodeId, type Entry } from "../../src/index.js";
import {
  FIXED_RANDOM,
  PaperNetwork,
  PaperReplica,
  acceptAppend,
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
const IDS = ["a", "b", "c", "d", "e"];

describe("committing entries from previous terms (§5.4.2)", () => {
  it.each([1, 2])(
    "a leader does not commit an entry of an earlier term by counting replicas, even when a majority stores it (follower matched through %i) (§5.4.2)",
    (matched) => {
      const a = new PaperReplica("a", {
        config: { preVote: false, checkQuorum: false },
        log: [1, 2],
        term: 2,
      });
      electLeader(a); // term 3, no-op at 3

      a.step(appendEntriesResult("b", "a", 3, { success: true, index: matched }));
      a.flush();

      expect(a.status().commitIndex).toBe(0);
      expect(a.applied).toEqual([]);
    },
  );

  it("a leader commits an entry of its own term once a majority stores it, and every earlier entry with it (§5.4.2)", () => {
    const a = new PaperReplica("a", {
      config: { preVote: false, checkQuorum: false },
      log: [1, 2],
      term: 2,
    });
    electLeader(a);

    a.step(appendEntriesResult("b", "a", 3, { success: true, index: 3 }));
    a.flush();

    expect(a.status().commitIndex).toBe(3);
    expect(a.applied.map((e) => [e.index, e.term])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
  });
});

describe("Figure 8 (§5.4.2)", () => {
  /**
   * Figure 8 (c): S1 leads term 4 with S4 and S5 down. It copies its term-2 entry at index 2 to S2
   * and S3 (so a majority holds it, and S1 knows), but its term-4 entry at index 3 reaches nobody.
   * S5 holds a term-3 entry at index 2 from its own leadership in term 3. One entry per message
   * (`batchBytesMax: 1`), and any AppendEntries carrying the term-4 entry to a follower that
   * already holds index 2 is lost.
   */
  function figure8c(): PaperNetwork {
    const config = { preVote: false, checkQuorum: false, batchBytesMax: 1, electionTicks: T };
    const voters = ["s1", "s2", "s3", "s4", "s5"];
    const net = new PaperNetwork([
      new PaperReplica("s1", { config, voters, log: [1, 2], term: 3, commitIndex: 1 }),
      new PaperReplica("s2", { config, voters, log: [1], term: 3, commitIndex: 1 }),
      new PaperReplica("s3", { config, voters, log: [1], term: 3, commitIndex: 1 }),
      new PaperReplica("s4", { config, voters, log: [1], term: 3, commitIndex: 1 }),
      new PaperReplica("s5", { config, voters, log: [1, 3], term: 3, commitIndex: 1 }),
    ]);
    net.disconnect("s4", "s5");
    net.drop = (m) =>
      m.type === "AppendEntries" &&
      m.entries.some((e) => e.term === 4) &&
      net.get(m.to).storage.lastIndex() >= 2;
    net.campaign("s1");
    return net;
  }

  it("(c) an entry of an earlier term stored on a majority is not committed by counting replicas (§5.4.2)", () => {
    const net = figure8c();
    const s1 = net.get("s1");

    expect(s1.status()).toMatchObject({ role: "leader", term: 4, lastIndex: 3 });
    for (const id of ["s1", "s2", "s3"]) expect(net.get(id).entryAt(2)?.term).toBe(2);
    expect(s1.status().progress?.get(nodeId("s2"))?.match).toBe(2);
    expect(s1.status().progress?.get(nodeId("s3"))?.match).toBe(2);
    expect(s1.status().commitIndex).toBe(1);
  });

  it("(d) a later leader may still overwrite that entry, and no replica ever applied it (§5.4.2)", () => {
    const net = figure8c();
    net.disconnect("s1");
    net.reconnect("s4", "s5");
    net.drop = () => false;

    for (let i = 0; i < 3 && net.get("s5").status().role !== "leader"; i++) net.campaign("s5");

    expect(net.get("s5").status()).toMatchObject({ role: "leader", term: 5 });
    for (const id of ["s2", "s3", "s4", "s5"]) expect(net.get(id).logTerms()).toEqual([1, 3, 5]);
    expect(net.get("s2").status().commitIndex).toBe(3);
    const appliedOld = [...net.replicas.values()]
      .flatMap((r) => r.applied)
      .filter((e) => e.index === 2 && e.term === 2);
    expect(appliedOld).toEqual([]);
  });

  it("(e) the earlier-term entry commits once an entry of the leader's current term after it is stored on a majority (§5.4.2)", () => {
    const net = figure8c();
    net.drop = () => false;

    net.tickAll(1); // a heartbeat: S2 and S3 answer, S1 sends them its term-4 entry

    const s1 = net.get("s1");
    expect(s1.status()).toMatchObject({ role: "leader", term: 4, commitIndex: 3 });
    expect(s1.applied.map((e) => [e.index, e.term])).toEqual([
      [1, 1],
      [2, 2],
      [3, 4],
    ]);
  });

  it("(e) once the leader's current-term entry is on a majority, a candidate without it can no longer be elected (§5.4.2, §5.4.1)", () => {
    const net = figure8c();
    net.drop = () => false;
    net.tickAll(1);
    net.disconnect("s1");
    net.reconnect("s4", "s5");

    for (let i = 0; i < 5; i++) net.campaign("s5");

    expect(net.get("s5").status().role).not.toBe("leader");
    for (const id of ["s2", "s3"]) expect(net.get(id).logTerms()).toEqual([1, 2, 4]);
  });
});

describe("Leader Completeness and State Machine Safety (§5.4)", () => {
  it("a follower's commit index never moves back, even when a new leader reports a lower one (§5.4)", () => {
    const b = new PaperReplica("b", {
      config: { preVote: false, checkQuorum: false },
      log: [1, 1, 1],
      term: 1,
      commitIndex: 3,
    });

    b.step(appendEntries("a", "b", 2, { prevLogIndex: 3, prevLogTerm: 1, leaderCommit: 1 }));
    b.step(heartbeat("a", "b", 2, 0));
    b.flush();

    expect(b.status().commitIndex).toBe(3);
    expect(b.hardState().commitIndex).toBe(3);
  });

  it("an AppendEntries whose previous entry lies below the follower's commit index leaves committed entries untouched (§5.4)", () => {
    const b = new PaperReplica("b", {
      config: { preVote: false, checkQuorum: false },
      log: [1, 1, 1],
      term: 1,
      commitIndex: 3,
    });

    b.step(
      appendEntries("a", "b", 1, {
        prevLogIndex: 0,
        prevLogTerm: 0,
        entries: entries(1, [1]),
        leaderCommit: 1,
      }),
    );
    const answers = ofType(b.flush(), "AppendEntriesResult");

    expect(answers).toEqual([expect.objectContaining({ success: true, index: 3 })]);
    expect(b.logTerms()).toEqual([1, 1, 1]);
  });

  /** Runs a 5-replica group under partitions, crashes and proposals; calls `check` after each tick. */
  function churn(seed: number, check: (net: PaperNetwork) => void): PaperNetwork {
    const net = new PaperNetwork(
      IDS.map(
        (id, k) =>
          new PaperReplica(id, {
            config: { preVote: seed % 2 === 0, checkQuorum: seed % 3 !== 0, electionTicks: T },
            voters: IDS,
            random: new SeededRandom(seed * 10 + k),
          }),
      ),
    );
    const chaos = new SeededRandom(seed);
    for (let tick = 0; tick < 400; tick++) {
      if (tick % 25 === 0) {
        net.reconnect(...IDS);
        for (let i = chaos.nextInt(3); i > 0; i--)
          net.disconnect(IDS[chaos.nextInt(IDS.length)] ?? "a");
      }
      if (chaos.chance(0.02)) net.get(IDS[chaos.nextInt(IDS.length)] ?? "a").restart();
      for (const leader of net.leaders())
        if (chaos.chance(0.4)) leader.raft.propose(bytes(`${seed}/${tick}`));
      net.tickAll();
      check(net);
    }
    return net;
  }

  it("every leader holds every entry committed in an earlier term (§5.4 Leader Completeness)", () => {
    for (let seed = 1; seed <= 12; seed++) {
      // index -> the entry and the lowest term of a replica known to have applied it
      const committed = new Map<number, { entry: Entry; term: number }>();
      const seen = new Map<string, number>();
      churn(seed, (net) => {
        for (const replica of net.replicas.values()) {
          const term = replica.status().term;
          const from = seen.get(replica.id) ?? 0;
          for (const e of replica.applied.slice(Math.min(from, replica.applied.length))) {
            const known = committed.get(e.index);
            if (known === undefined || term < known.term)
              committed.set(e.index, { entry: e, term });
          }
          seen.set(replica.id, replica.applied.length);
        }
        for (const leader of net.leaders()) {
          const term = leader.status().term;
          for (const [index, { entry, term: committedBy }] of committed) {
            if (committedBy >= term) continue;
            expect(
              leader.entryAt(index)?.term,
              `seed ${seed}: leader ${leader.id} of term ${term} lacks ${index}`,
            ).toBe(entry.term);
          }
        }
      });
      expect(committed.size, `seed ${seed}: entries were committed`).toBeGreaterThan(5);
    }
  });

  it("no two replicas apply different entries at the same index, across partitions, elections and crashes (§5.4.3 State Machine Safety)", () => {
    for (let seed = 1; seed <= 12; seed++) {
      // The network fails the test the moment a replica applies an entry that differs from what
      // another applied at that index; afterwards the healed group must converge.
      const net = churn(seed, () => undefined);
      net.reconnect(...IDS);
      net.tickAll(5 * T);

      const logs = [...net.replicas.values()].map((r) => r.logTerms());
      for (const log of logs) expect(log, `seed ${seed}`).toEqual(logs[0]);
      const commits = new Set([...net.replicas.values()].map((r) => r.status().commitIndex));
      expect(commits.size, `seed ${seed}: one commit index`).toBe(1);
    }
  });
});

describe("follower and candidate crashes (§5.5)", () => {
  it("a leader keeps sending to a follower that does not answer, once every heartbeat interval, indefinitely (§5.5)", () => {
    const config = { preVote: false, checkQuorum: false, electionTicks: T, heartbeatTicks: 2 };
    const net = new PaperNetwork(["a", "b", "c"].map((id) => new PaperReplica(id, { config })));
    net.campaign("a");
    net.disconnect("c");
    net.get("a").raft.propose(bytes("x"));
    net.stabilize();
    const sentBefore = net.sent.length;

    net.get("a").tick(200);
    net.stabilize();

    const toC = net.sent
      .slice(sentBefore)
      .filter((m) => m.from === nodeId("a") && m.to === nodeId("c"));
    expect(ofType(toC, "Heartbeat").length).toBeGreaterThanOrEqual(100);
  });

  it("a follower that restarts from its storage after a crash catches up on everything it missed (§5.5)", () => {
    const config = { preVote: false, checkQuorum: false, electionTicks: T, heartbeatTicks: 1 };
    const net = new PaperNetwork(["a", "b", "c"].map((id) => new PaperReplica(id, { config })));
    net.campaign("a");
    net.get("a").raft.propose(bytes("x1"));
    net.stabilize();
    net.disconnect("c");
    net.get("c").restart();
    net.get("a").raft.propose(bytes("x2"));
    net.get("a").raft.propose(bytes("x3"));
    net.stabilize();

    net.reconnect("c");
    net.tickAll(2);

    const c = net.get("c");
    expect(c.logTerms()).toEqual(net.get("a").logTerms());
    expect(c.status().commitIndex).toBe(4);
    expect(
      c.applied.filter((e) => e.type === "normal").map((e) => new TextDecoder().decode(e.data)),
    ).toEqual(["x1", "x2", "x3"]);
  });

  it("a candidate whose vote requests are lost asks again, in a new term, after its election timeout (§5.5)", () => {
    const config = { preVote: false, checkQuorum: false, electionTicks: T };
    const net = new PaperNetwork([
      new PaperReplica("a", { config, random: FIXED_RANDOM }),
      new PaperReplica("b", { config }),
      new PaperReplica("c", { config }),
    ]);
    net.drop = (m) => m.type === "RequestVote" && m.term === 1;
    net.campaign("a");
    expect(net.get("a").status()).toMatchObject({ role: "candidate", term: 1 });

    net.get("a").tick(T);
    net.stabilize();

    expect(net.get("a").status()).toMatchObject({ role: "leader", term: 2 });
  });

  it("a follower accepts a duplicated AppendEntries again and leaves its log and state machine as they were (§5.5)", () => {
    const b = new PaperReplica("b", { config: { preVote: false, checkQuorum: false }, term: 1 });
    const append = appendEntries("a", "b", 1, {
      prevLogIndex: 0,
      prevLogTerm: 0,
      entries: entries(1, [1, 1]),
      leaderCommit: 1,
    });
    b.step(append);
    b.flush();
    const applied = [...b.applied];
    const readiesBefore = b.readies.length;

    b.step(append);
    const answers = ofType(b.flush(), "AppendEntriesResult");

    // Success, for at most what it holds (it may answer with its commit index: still true).
    expect(answers).toEqual([expect.objectContaining({ success: true })]);
    expect(answers[0]?.index).toBeLessThanOrEqual(2);
    expect(b.readies.slice(readiesBefore).flatMap((r) => r.entries)).toEqual([]);
    expect(b.logTerms()).toEqual([1, 1]);
    expect(b.applied).toEqual(applied);
  });

  it("a late duplicate of an earlier AppendEntries does not truncate the entries that came after it (§5.5)", () => {
    const b = new PaperReplica("b", { config: { preVote: false, checkQuorum: false }, term: 1 });
    const early = appendEntries("a", "b", 1, {
      prevLogIndex: 0,
      prevLogTerm: 0,
      entries: entries(1, [1]),
    });
    b.step(
      early,
      appendEntries("a", "b", 1, { prevLogIndex: 1, prevLogTerm: 1, entries: entries(2, [1, 1]) }),
    );
    b.flush();

    b.step(early);

    expect(ofType(b.flush(), "AppendEntriesResult")).toEqual([
      expect.objectContaining({ success: true, index: 1 }),
    ]);
    expect(b.logTerms()).toEqual([1, 1, 1]);
  });

  it("a voter answers a repeated RequestVote from the candidate it voted for with the same grant (§5.5)", () => {
    const b = new PaperReplica("b", { config: { preVote: false, checkQuorum: false }, term: 1 });
    const request = requestVote("a", "b", 2, { lastLogIndex: 0, lastLogTerm: 0 });
    b.step(request);
    const first = b.flush();

    b.step(request);
    const second = b.flush();

    expect(second).toEqual(first);
    expect(ofType(second, "RequestVoteResult")).toEqual([
      expect.objectContaining({ granted: true, term: 2 }),
    ]);
  });

  it("a duplicated AppendEntriesResult changes neither the leader's commit index nor its view of the follower (§5.5)", () => {
    const a = new PaperReplica("a", { config: { preVote: false, checkQuorum: false } });
    a.step(...ofType(electLeader(a), "AppendEntries").map(acceptAppend));
    a.flush();
    a.raft.propose(bytes("x"));
    const ack = ofType(a.flush(), "AppendEntries")
      .filter((m) => m.to === nodeId("b"))
      .map(acceptAppend);
    a.step(...ack);
    a.flush();
    const before = a.status();

    a.step(...ack, ...ack);
    a.flush();

    expect(a.status()).toEqual(before);
  });

  it("a replica restarted from its storage keeps its term, vote, log and commit index (§5.5, Figure 2)", () => {
    const b = new PaperReplica("b", { config: { preVote: false, checkQuorum: false } });
    b.step(requestVote("a", "b", 2, { lastLogIndex: 0, lastLogTerm: 0 }));
    b.step(
      appendEntries("a", "b", 2, {
        prevLogIndex: 0,
        prevLogTerm: 0,
        entries: entries(1, [2, 2]),
        leaderCommit: 1,
      }),
    );
    b.flush();

    b.restart();

    expect(b.status()).toMatchObject({ term: 2, vote: "a", lastIndex: 2, commitIndex: 1 });
  });
});

describe("the Ready contract: persist before answering (Figure 2, §5.5)", () => {
  it("a granted vote comes in the same Ready as the hard state that records it, and that Ready must be synced (§5.5)", () => {
    const b = new PaperReplica("b", { config: { preVote: false, checkQuorum: false }, term: 1 });

    b.step(requestVote("a", "b", 2, { lastLogIndex: 0, lastLogTerm: 0 }));
    const ready = b.takeReady();

    expect(ready?.hardState).toEqual({ term: 2, vote: "a", commitIndex: 0 });
    expect(ready?.mustSync).toBe(true);
    expect(ready?.messages).toEqual([
      expect.objectContaining({ type: "RequestVoteResult", granted: true, term: 2 }),
    ]);
  });

  it("a candidate's vote requests come in the same Ready as its new term and its vote for itself, and that Ready must be synced (§5.5)", () => {
    const a = new PaperReplica("a", { config: { preVote: false, checkQuorum: false }, term: 4 });

    a.raft.campaign();
    const ready = a.takeReady();

    expect(ready?.hardState).toEqual({ term: 5, vote: "a", commitIndex: 0 });
    expect(ready?.mustSync).toBe(true);
    expect(ofType(ready?.messages ?? [], "RequestVote").map((m) => [m.to, m.term])).toEqual([
      ["b", 5],
      ["c", 5],
    ]);
  });

  it("an AppendEntriesResult comes in the same Ready as the entries it acknowledges, and that Ready must be synced (§5.5)", () => {
    const b = new PaperReplica("b", { config: { preVote: false, checkQuorum: false }, term: 1 });

    b.step(
      appendEntries("a", "b", 1, { prevLogIndex: 0, prevLogTerm: 0, entries: entries(1, [1, 1]) }),
    );
    const ready = b.takeReady();

    expect(ready?.entries).toEqual(entries(1, [1, 1]));
    expect(ready?.mustSync).toBe(true);
    expect(ready?.messages).toEqual([
      expect.objectContaining({ type: "AppendEntriesResult", success: true, index: 2 }),
    ]);
  });

  it("a Ready that only moves the commit index need not be synced (§5.5)", () => {
    const b = new PaperReplica("b", {
      config: { preVote: false, checkQuorum: false },
      log: [1, 1],
      term: 1,
    });
    b.step(heartbeat("a", "b", 1, 0));
    b.flush();

    b.step(heartbeat("a", "b", 1, 2));
    const ready = b.takeReady();

    expect(ready?.hardState).toEqual({ term: 1, vote: undefined, commitIndex: 2 });
    expect(ready?.entries).toEqual([]);
    expect(ready?.mustSync).toBe(false);
  });

  it("a Ready's committed entries never go past its commit index (§5.5)", () => {
    const b = new PaperReplica("b", { config: { preVote: false, checkQuorum: false }, term: 1 });

    b.step(
      appendEntries("a", "b", 1, {
        prevLogIndex: 0,
        prevLogTerm: 0,
        entries: entries(1, [1, 1, 1]),
        leaderCommit: 2,
      }),
    );
    const ready = b.takeReady();

    expect(ready?.hardState?.commitIndex).toBe(2);
    expect(ready?.committedEntries.map((e) => e.index)).toEqual([1, 2]);
  });

  it("a Ready's committed entries are persisted no later than that Ready: in its own entries or earlier (§5.5)", () => {
    const b = new PaperReplica("b", {
      config: { preVote: false, checkQuorum: false },
      log: [1],
      term: 1,
    });

    b.step(
      appendEntries("a", "b", 1, {
        prevLogIndex: 1,
        prevLogTerm: 1,
        entries: entries(2, [1, 1]),
        leaderCommit: 3,
      }),
    );
    const ready = b.takeReady();

    expect(ready?.committedEntries.map((e) => e.index)).toEqual([1, 2, 3]);
    for (const e of ready?.committedEntries ?? []) {
      const inReady = ready?.entries.some((x) => x.index === e.index && x.term === e.term) ?? false;
      expect(inReady || e.index === 1).toBe(true);
    }
  });

  it("committed entries are handed out once each, in index order, across Readies (§5.5)", () => {
    const b = new PaperReplica("b", { config: { preVote: false, checkQuorum: false }, term: 1 });

    b.step(
      appendEntries("a", "b", 1, {
        prevLogIndex: 0,
        prevLogTerm: 0,
        entries: entries(1, [1, 1, 1]),
        leaderCommit: 1,
      }),
    );
    b.flush();
    b.step(heartbeat("a", "b", 1, 3));
    b.flush();
    b.step(appendEntries("a", "b", 1, { prevLogIndex: 3, prevLogTerm: 1, leaderCommit: 3 }));
    b.flush();

    expect(b.readies.flatMap((r) => r.committedEntries).map((e) => e.index)).toEqual([1, 2, 3]);
  });

  it("a new leader's no-op and its first AppendEntries come after its term is persisted (§5.5)", () => {
    const a = new PaperReplica("a", { config: { preVote: false, checkQuorum: false } });
    a.raft.campaign();
    a.flush();
    a.step(requestVoteResult("b", "a", 1, true), requestVoteResult("c", "a", 1, true));

    const ready = a.takeReady();

    expect(a.hardState().term).toBe(1);
    expect(ofType(ready?.messages ?? [], "AppendEntries").every((m) => m.term === 1)).toBe(true);
    expect(ready?.entries).toEqual([{ type: "noop", index: 1, term: 1 }]);
  });
});
