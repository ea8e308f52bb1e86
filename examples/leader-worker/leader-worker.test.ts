import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "@flotilla/runtime";
import { SchedulerCluster, type WorkerRun } from "./leader-worker.js";

const TICK_MS = 10;
let cluster: SchedulerCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

/** Yields to the event loop until `predicate` holds; a real-time bound is only a safety net. */
async function waitFor(predicate: () => boolean, description: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${description}`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Advances the manual clock a tick at a time, letting the nodes fall quiet, until `predicate`. */
async function driveUntil(
  c: SchedulerCluster,
  clock: ManualClock,
  predicate: () => boolean,
  description: string,
): Promise<void> {
  for (let tick = 0; tick < 2_000 && !predicate(); tick++) {
    clock.advance(TICK_MS);
    await waitFor(
      () => c.network.inFlight === 0 && c.nodes.every((n) => n.node.isIdle()),
      "the nodes fall quiet",
    );
  }
  if (!predicate()) throw new Error(`not reached: ${description}`);
}

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
