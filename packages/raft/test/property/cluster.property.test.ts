/**
 * Random schedules on a TestCluster (3 or 5 replicas): proposals anywhere, ticks, isolations,
 * heals, random message loss, campaigns, leadership transfers and restarts from storage. After
 * every step the cluster is stabilized and Raft's safety properties are checked (Raft §5.2,
 * §5.4, Figure 3): at most one leader per term ever observed, applied sequences that are
 * prefixes of one another, committed entries that never change, commit indexes that never go
 * back, and leaders that hold every committed entry. Liveness is not checked here.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SeededRandom, nodeId, type Entry } from "../../src/index.js";
import { TestCluster, bytes, type ReplicaOptions } from "../support/test-cluster.js";

type Action =
  | { kind: "propose"; node: number; value: number }
  | { kind: "tick-all"; ticks: number }
  | { kind: "tick-one"; node: number; ticks: number }
  | { kind: "isolate"; node: number }
  | { kind: "heal" }
  | { kind: "lossy"; percent: number }
  | { kind: "campaign"; node: number }
  | { kind: "transfer"; node: number }
  | { kind: "restart"; node: number };

const node = fc.nat(4);
const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant("propose" as const), node, value: fc.nat(999) }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("tick-all" as const),
      ticks: fc.integer({ min: 1, max: 12 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("tick-one" as const),
      node,
      ticks: fc.integer({ min: 1, max: 12 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("isolate" as const), node }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("heal" as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("lossy" as const),
      percent: fc.integer({ min: 5, max: 50 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("campaign" as const), node }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("transfer" as const), node }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("restart" as const), node }) },
);

const scenario = fc.record({
  size: fc.constantFrom(3, 5),
  preVote: fc.boolean(),
  checkQuorum: fc.boolean(),
  seed: fc.nat(),
  actions: fc.array(action, { minLength: 1, maxLength: 30 }),
});

function entryKey(e: Entry): string {
  const payload = e.type === "normal" ? new TextDecoder().decode(e.data) : e.type;
  return `${e.term}/${e.index} ${payload}`;
}

/** The safety checker: what it has seen so far, and the checks after each step. */
class Checker {
  private readonly leaderOfTerm = new Map<number, string>();
  private readonly committed = new Map<number, string>();
  /** Per committed index: its term, and a term at or after the one it was committed in. */
  private readonly committedAt = new Map<number, { term: number; committedBy: number }>();
  private readonly commitIndex = new Map<string, number>();

  constructor(private readonly c: TestCluster) {}

  check(step: string): void {
    const replicas = [...this.c.replicas.values()];
    const highestTerm = Math.max(...replicas.map((r) => r.raft.status().term));
    for (const r of replicas) {
      const s = r.raft.status();
      // Election Safety: at most one leader per term, over the whole run.
      if (s.role === "leader") {
        const seen = this.leaderOfTerm.get(s.term);
        expect(
          seen === undefined || seen === r.id,
          `${step}: two leaders in term ${s.term}: ${seen}, ${r.id}`,
        ).toBe(true);
        this.leaderOfTerm.set(s.term, r.id);
      }
      // A replica's commit index never goes back (restarts included: it is persisted).
      const before = this.commitIndex.get(r.id) ?? 0;
      expect(s.commitIndex, `${step}: ${r.id} commit went back`).toBeGreaterThanOrEqual(before);
      this.commitIndex.set(r.id, s.commitIndex);
      // Applied entries are 1, 2, 3, … and never differ from what anyone else applied there.
      r.applied.forEach((e, i) => {
        expect(e.index, `${step}: ${r.id} applied out of order`).toBe(i + 1);
        const key = entryKey(e);
        const known = this.committed.get(e.index);
        expect(
          known === undefined || known === key,
          `${step}: entry ${e.index} applied as ${known} and ${key}`,
        ).toBe(true);
        this.committed.set(e.index, key);
        // It was committed in some term no later than the highest term around now.
        if (!this.committedAt.has(e.index))
          this.committedAt.set(e.index, { term: e.term, committedBy: highestTerm });
      });
    }
    // State Machine Safety: every applied sequence is a prefix of every longer one.
    for (const a of replicas) {
      for (const b of replicas) {
        const n = Math.min(a.applied.length, b.applied.length);
        expect(a.applied.slice(0, n).map(entryKey), `${step}: ${a.id} and ${b.id} diverge`).toEqual(
          b.applied.slice(0, n).map(entryKey),
        );
      }
    }
    // Leader Completeness: a leader of any later term holds every committed entry. (A stale
    // leader of an earlier term, cut off and not yet stepped down, need not.)
    for (const r of replicas) {
      const s = r.raft.status();
      if (s.role !== "leader") continue;
      for (const [index, { term, committedBy }] of this.committedAt) {
        if (s.term <= committedBy) continue;
        expect(
          r.storage.term(index),
          `${step}: leader ${r.id} (term ${s.term}) lacks committed ${term}/${index}`,
        ).toBe(term);
      }
    }
  }
}

function run(s: {
  size: number;
  preVote: boolean;
  checkQuorum: boolean;
  seed: number;
  actions: readonly Action[];
}): void {
  const ids = ["n1", "n2", "n3", "n4", "n5"].slice(0, s.size);
  const options: ReplicaOptions = {
    preVote: s.preVote,
    checkQuorum: s.checkQuorum,
    electionTicks: 5,
    heartbeatTicks: 1,
  };
  const c = new TestCluster(ids, options);
  const random = new SeededRandom(s.seed);
  const checker = new Checker(c);
  const idOf = (n: number): string => ids[n % ids.length] ?? "n1";
  let proposals = 0;
  s.actions.forEach((a, i) => {
    const step = `step ${i} ${JSON.stringify(a)}`;
    switch (a.kind) {
      case "propose":
        c.raft(idOf(a.node)).propose(bytes(`v${a.value}#${proposals++}`));
        break;
      case "tick-all":
        c.tickAll(a.ticks);
        break;
      case "tick-one":
        for (let t = 0; t < a.ticks; t++) c.raft(idOf(a.node)).tick();
        break;
      case "isolate":
        c.isolate(idOf(a.node));
        break;
      case "heal":
        c.heal();
        break;
      case "lossy":
        c.drop = () => random.nextInt(100) < a.percent;
        break;
      case "campaign":
        c.raft(idOf(a.node)).campaign();
        break;
      case "transfer": {
        const leader = [...c.replicas.values()].find((r) => r.raft.status().role === "leader");
        leader?.raft.transferLeadership(nodeId(idOf(a.node)));
        break;
      }
      case "restart": {
        // Everything is synced (the cluster was stabilized): rebuild the core over its storage.
        const r = c.get(idOf(a.node));
        c.add(r.id, r.storage, options);
        break;
      }
    }
    c.stabilize();
    checker.check(step);
  });
}

describe("a random schedule on a test cluster", () => {
  it("keeps Raft's safety properties after every stabilized step", () => {
    fc.assert(fc.property(scenario, run), { numRuns: 60 });
  });

  it("keeps them over a long fixed-seed schedule", () => {
    const random = new SeededRandom(20240601);
    const actions: Action[] = [];
    const kinds = [
      "propose",
      "propose",
      "propose",
      "tick-all",
      "tick-all",
      "tick-one",
      "isolate",
      "heal",
      "lossy",
      "campaign",
      "transfer",
      "restart",
    ] as const;
    for (let i = 0; i < 300; i++) {
      const kind = kinds[random.nextInt(kinds.length)] ?? "heal";
      const n = random.nextInt(5);
      switch (kind) {
        case "propose":
          actions.push({ kind, node: n, value: i });
          break;
        case "tick-all":
        case "tick-one":
          actions.push(
            kind === "tick-all"
              ? { kind, ticks: 1 + random.nextInt(12) }
              : { kind, node: n, ticks: 1 + random.nextInt(12) },
          );
          break;
        case "lossy":
          actions.push({ kind, percent: 5 + random.nextInt(40) });
          break;
        case "heal":
          actions.push({ kind });
          break;
        case "isolate":
        case "campaign":
        case "transfer":
        case "restart":
          actions.push({ kind, node: n });
          break;
      }
    }
    run({ size: 5, preVote: true, checkQuorum: true, seed: 7, actions });
  });
});
