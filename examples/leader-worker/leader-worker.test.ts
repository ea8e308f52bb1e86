import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "@flotilla/runtime";
import { SchedulerCluster, type WorkerRun } from "./leader-worker.js";
import { TICK_MS, driveUntil } from "../support/drive.js";

let cluster: SchedulerCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

describe("leader-worker example: a fenced scheduler", () => {
  it("runs on the leader only, aborts on the deposed leader and resumes with a higher term", async () => {
    const clock = new ManualClock();
    cluster = await SchedulerCluster.start({
      clock,
      tickIntervalMs: TICK_MS,
      jobs: [{ name: "reindex", everyMs: 50 }],
    });
    const c = cluster;
    await driveUntil(c, clock, () => c.sink.accepted.length >= 3, "three jobs emitted");
    expect(c.runs).toHaveLength(1);
    const first = c.runs[0] as WorkerRun;
    expect(first.signal.aborted).toBe(false);
    expect(c.sink.accepted.every((job) => job.nodeId === first.nodeId)).toBe(true);
    expect(c.sink.accepted.every((job) => job.term === first.term)).toBe(true);

    // Cut the leader off: CheckQuorum steps it down (its signal aborts), the others elect.
    let emittedByOldAtAbort: number | undefined;
    const emittedByOld = () =>
      [...c.sink.accepted, ...c.sink.refused].filter((job) => job.nodeId === first.nodeId).length;
    first.signal.addEventListener("abort", () => (emittedByOldAtAbort = emittedByOld()));
    c.isolate(first.nodeId);
    await driveUntil(
      c,
      clock,
      () =>
        first.signal.aborted &&
        c.sink.accepted.filter((job) => job.nodeId !== first.nodeId).length >= 3,
      "the old work aborted and the new leader emitted three jobs",
    );

    const second = c.runs.find((run) => run.nodeId !== first.nodeId);
    expect(second).toBeDefined();
    expect(second?.term).toBeGreaterThan(first.term);
    expect(second?.signal.aborted).toBe(false);
    // The isolated node ran the work once: it never led again.
    expect(c.runs.filter((run) => run.nodeId === first.nodeId)).toHaveLength(1);
    // Nothing was emitted by the old leader after its abort.
    expect(emittedByOld()).toBe(emittedByOldAtAbort);
    // The accepted terms never go down: the fencing token orders the writers.
    const terms = c.sink.accepted.map((job) => job.term);
    expect(terms).toEqual([...terms].sort((a, b) => a - b));
    // A late write from the deposed leader's term is refused.
    expect(
      c.sink.accept({
        job: "reindex",
        dueAtMs: clock.now(),
        nodeId: first.nodeId,
        term: first.term,
      }),
    ).toBe(false);
  });
});
