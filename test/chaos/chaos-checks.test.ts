/**
 * The pure parts of the chaos run on hand-made inputs: the nemesis schedule replays from its
 * seed, the workload plan gives every key two clients, and each check (streams, lost writes,
 * fencing, convergence) passes a correct record and fails each kind of violation.
 */
import { describe, expect, it } from "vitest";
import { parseChaosArgs, replayCommand } from "./chaos-args.js";
import { ChaosState } from "./chaos-state.js";
import { checkConvergence } from "./convergence-check.js";
import { checkFencing } from "./fencing-check.js";
import type { HistoryRecord } from "./history-record.js";
import { ackedValuesByGroup, findLostWrites } from "./lost-writes-check.js";
import { nemesisSchedule, WARM_UP_MS } from "./nemesis-schedule.js";
import type { SinkRecord } from "./sink-process.js";
import { checkStreams } from "./stream-check.js";
import type { StreamEvent, SubscriberRecord } from "./stream-record.js";
import { planWorkload, workloadKeys } from "./workload-plan.js";

describe("the nemesis schedule", () => {
  it("is the same for the same seed and differs for another", () => {
    expect(nemesisSchedule(7, 90_000, 500)).toEqual(nemesisSchedule(7, 90_000, 500));
    expect(nemesisSchedule(8, 90_000, 500)).not.toEqual(nemesisSchedule(7, 90_000, 500));
  });

  it("starts by pausing a node past the election timeout, one fault at a time, within the run", () => {
    for (let seed = 0; seed < 30; seed++) {
      const faults = nemesisSchedule(seed, 60_000, 500);
      expect(faults[0]?.kind).toBe("node-pause");
      expect(faults[0]?.holdMs).toBeGreaterThan(500);
      expect(faults[0]?.atMs).toBe(WARM_UP_MS);
      for (const [i, fault] of faults.entries()) {
        expect(fault.atMs + fault.holdMs).toBeLessThanOrEqual(60_000);
        const next = faults[i + 1];
        if (next !== undefined) expect(next.atMs).toBeGreaterThan(fault.atMs + fault.holdMs);
        if (fault.side !== undefined) expect(fault.side.afterMs).toBeLessThan(fault.holdMs);
      }
    }
  });

  it("uses every primary fault kind over a long run", () => {
    const kinds = new Set(nemesisSchedule(3, 600_000, 500).map((fault) => fault.kind));
    expect(kinds.size).toBe(8);
  });
});

describe("the workload plan", () => {
  it("gives every key exactly two distinct clients and deals subscribers over processes", () => {
    const groupIds = ["c-0", "c-1", "c-2", "c-3", "c-4", "c-5", "c-6", "c-7"];
    const plans = planWorkload({ groupIds, clients: 8, processes: 4, subscribersPerGroup: 2 });
    const clientsOfKey = new Map<string, number[]>();
    for (const client of plans.flatMap((plan) => plan.clients)) {
      for (const key of client.keys) {
        const name = `${key.groupId}/${key.key}`;
        clientsOfKey.set(name, [...(clientsOfKey.get(name) ?? []), client.clientNum]);
      }
    }
    expect(clientsOfKey.size).toBe(workloadKeys(groupIds).length);
    for (const clients of clientsOfKey.values()) {
      expect(new Set(clients).size).toBe(2);
    }
    expect(plans.flatMap((plan) => plan.clients)).toHaveLength(8);
    expect(plans.flatMap((plan) => plan.subscribers)).toHaveLength(16);
    expect(plans.every((plan) => plan.subscribers.length === 4)).toBe(true);
  });

  it("refuses fewer than two clients", () => {
    expect(() =>
      planWorkload({ groupIds: ["g"], clients: 1, processes: 1, subscribersPerGroup: 1 }),
    ).toThrow(RangeError);
  });
});

describe("the command line", () => {
  it("derives the seed from the clock when none is given, and replays with it", () => {
    const args = parseChaosArgs(["--duration", "90"], 1234);
    expect(args).toMatchObject({
      durationS: 90,
      seed: 1234,
      seedDerived: true,
      nodes: 3,
      groups: 8,
    });
    expect(replayCommand(args)).toContain("--duration 90 --seed 1234");
    expect(() => parseChaosArgs(["--bogus", "1"], 0)).toThrow(/unknown option/);
  });
});

describe("the chaos state", () => {
  it("applies put, cas and append, and snapshots canonically", () => {
    const a = new ChaosState();
    expect(a.apply({ op: "put", key: "r", value: "v1" })).toBeNull();
    expect(a.apply({ op: "cas", key: "r", expected: "v0", value: "v2" })).toBe(false);
    expect(a.apply({ op: "cas", key: "r", expected: "v1", value: "v2" })).toBe(true);
    expect(a.apply({ op: "append", key: "l", value: "x" })).toBe(1);
    expect(a.query({ op: "get", key: "r" })).toBe("v2");
    expect(a.query({ op: "read-list", key: "l" })).toEqual(["x"]);
    const b = new ChaosState();
    b.restoreSnapshot(a.toSnapshot());
    expect(b.toSnapshot()).toEqual(a.toSnapshot());
  });
});

const entry = (index: number, value: string, term = 1): StreamEvent => ({
  type: "entry",
  index,
  term,
  key: "r0",
  op: "put",
  value,
});
const end = (index: number): StreamEvent => ({
  type: "entry",
  index,
  term: 1,
  key: "__end",
  op: "put",
  value: "end",
});
const subscriber = (id: string, events: StreamEvent[], reachedEnd = true): SubscriberRecord => ({
  subscriberId: id,
  groupId: "g",
  events,
  resumes: 1,
  reachedEnd,
});

describe("the stream check", () => {
  const acked = new Map([["g", new Set(["a", "b"])]]);

  it("passes subscribers that saw the same entries, a snapshot standing for what it covers", () => {
    const result = checkStreams(
      [
        subscriber("s0", [entry(1, "a"), entry(3, "b"), end(4)]),
        subscriber("s1", [
          { type: "snapshot", index: 3, term: 1, values: ["a", "b"], hasEnd: false },
          end(4),
        ]),
      ],
      acked,
    );
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it("finds a gap, a duplicate, a disagreement, a double apply, a lost write and a short stream", () => {
    const problems = (subscribers: SubscriberRecord[]): string =>
      checkStreams(subscribers, acked).problems.join("\n");
    const good = subscriber("s0", [entry(1, "a"), entry(3, "b"), end(4)]);
    expect(problems([good, subscriber("s1", [entry(1, "a"), end(4)])])).toMatch(/gap/);
    expect(
      problems([good, subscriber("s1", [entry(1, "a"), entry(3, "b"), entry(3, "b"), end(4)])]),
    ).toMatch(/duplicate or out of order/);
    expect(problems([good, subscriber("s1", [entry(1, "a"), entry(3, "c"), end(4)])])).toMatch(
      /differs/,
    );
    expect(
      problems([subscriber("s0", [entry(1, "a"), entry(3, "b"), entry(5, "a"), end(6)])]),
    ).toMatch(/applied twice/);
    expect(problems([subscriber("s0", [entry(1, "a"), end(4)])])).toMatch(
      /acknowledged writes in no stream/,
    );
    expect(problems([good, subscriber("s1", [entry(1, "a"), entry(3, "b")], false)])).toMatch(
      /did not reach the end marker/,
    );
  });
});

describe("the lost-write check", () => {
  const put = (value: string, ret: number | null): HistoryRecord => ({
    client: 0,
    key: "g/r0",
    op: "put",
    value,
    call: 1,
    return: ret,
  });
  const append = (value: string): HistoryRecord => ({
    client: 0,
    key: "g/l0",
    op: "append",
    value,
    call: 1,
    return: 2,
  });

  it("finds an acknowledged append missing from its list and a put missing from the stream", () => {
    const records = [put("p1", 2), put("p2", null), append("x"), append("y")];
    const states = new Map([
      ["g", [[], [["l0", ["x"]]]] as [[string, string][], [string, string[]][]]],
    ]);
    const streams = new Map([["g", new Set(["x", "y"])]]);
    expect(findLostWrites(records, states, streams)).toEqual([
      { key: "g/r0", op: "put", value: "p1" },
      { key: "g/l0", op: "append", value: "y" },
    ]);
    expect(ackedValuesByGroup(records).get("g")).toEqual(new Set(["p1", "x", "y"]));
  });
});

describe("the fencing check", () => {
  const act = (
    node: string,
    term: number,
    checkNs: number,
    recvNs: number,
    accepted = true,
  ): SinkRecord => ({
    group: "g",
    node,
    term,
    checkNs,
    sendNs: checkNs + 1,
    recvNs,
    accepted,
  });

  it("passes a handover, and counts a stale attempt the sink refused", () => {
    const result = checkFencing([
      act("n1", 2, 10, 20),
      act("n2", 3, 30, 40),
      // n1 checked its lease before n2 acted, paused, and sent late: refused, no violation.
      act("n1", 2, 35, 50, false),
    ]);
    expect(result.problems).toEqual([]);
    expect(result).toMatchObject({ ok: true, acts: 3, staleRejected: 1, terms: 2 });
  });

  it("fails two nodes acting in one term", () => {
    expect(checkFencing([act("n1", 2, 10, 20), act("n2", 2, 30, 40)]).problems[0]).toMatch(
      /term 2 acted on n1, n2/,
    );
  });

  it("fails a lease check made after a higher term had acted", () => {
    const result = checkFencing([act("n2", 3, 30, 40), act("n1", 2, 45, 50, false)]);
    expect(result.ok).toBe(false);
    expect(result.problems[0]).toMatch(
      /n1 checked its lease for term 2 .* after n2 had acted with term 3/,
    );
  });
});

describe("the convergence check", () => {
  it("passes equal digests at one index and counts groups that differ or did not answer", () => {
    const replica = (groupId: string, nodeId: string, appliedIndex: number, digest: string) => ({
      groupId,
      nodeId,
      appliedIndex,
      digest,
    });
    expect(
      checkConvergence([replica("a", "n1", 5, "x"), replica("a", "n2", 5, "x")]).diverged,
    ).toBe(0);
    const result = checkConvergence(
      [
        replica("a", "n1", 5, "x"),
        replica("a", "n2", 5, "y"),
        replica("b", "n1", 5, "x"),
        replica("b", "n2", 4, "x"),
      ],
      [{ groupId: "c", nodeId: "n3", reason: "timeout" }],
    );
    expect(result.diverged).toBe(3);
  });
});
