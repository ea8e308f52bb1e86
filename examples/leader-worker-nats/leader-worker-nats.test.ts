/**
 * The leader-worker-nats example against a real nats-server: three scheduler nodes (in this
 * process) host the group `scheduler`; the leader's worker publishes due jobs on `jobs.due`
 * with its term; stopping the leader's node moves the worker to another node with a higher
 * term, and the fenced consumer never accepts a lower term after a higher one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { pino } from "pino";
import { waitFor } from "@flotilla/testkit";
import { LocalCluster } from "../kv-nats/local-cluster.js";
import { FencedConsumer } from "./fenced-consumer.js";
import {
  JOBS_DUE_SUBJECT,
  startSchedulerNode,
  type DueJob,
  type SchedulerRun,
} from "./job-scheduler.js";

const GROUP_ID = "scheduler";
const runs: SchedulerRun[] = [];
let cluster: LocalCluster | undefined;
let nc: NatsConnection | undefined;

beforeAll(async () => {
  cluster = await LocalCluster.start({
    cluster: "jobs",
    groupFlags: ["--group", `${GROUP_ID}:log:n1,n2,n3`],
    startNode: (config) =>
      startSchedulerNode(
        config,
        {
          groupId: GROUP_ID,
          jobs: [{ name: "reindex", everyMs: 50 }],
          onRun: (run) => runs.push(run),
        },
        pino({ level: "silent" }),
      ),
  });
  nc = await connect({ servers: cluster.url });
}, 30_000);

afterAll(async () => {
  await nc?.close();
  await cluster?.stop();
}, 30_000);

describe("leader-worker-nats example: a scheduler fenced by term", () => {
  it("fails over to another node with a higher term; lower terms are refused after higher ones", async () => {
    const c = cluster as LocalCluster;
    const consumer = new FencedConsumer(nc as NatsConnection);
    try {
      const acceptedFrom = (run: SchedulerRun) =>
        consumer.accepted().filter((job) => job.nodeId === run.nodeId && job.term === run.term);
      // The leader's worker publishes: three jobs of one live run (one node, one term).
      let first: SchedulerRun | undefined;
      await waitFor(
        () => {
          first = runs.find((run) => !run.signal.aborted && acceptedFrom(run).length >= 3);
          return first !== undefined;
        },
        { description: "three due jobs accepted from the leader's run", timeoutMs: 15_000 },
      );
      const old = first as SchedulerRun;

      // Stop the leader's node (as SIGTERM does): another node's worker takes over.
      await c.stopNode(old.nodeId);
      expect(old.signal.aborted).toBe(true);
      let second: SchedulerRun | undefined;
      await waitFor(
        () => {
          second = runs.find(
            (run) =>
              run.nodeId !== old.nodeId && run.term > old.term && acceptedFrom(run).length >= 3,
          );
          return second !== undefined;
        },
        {
          description: "three due jobs accepted from another node, in a higher term",
          timeoutMs: 15_000,
        },
      );
      expect(second?.term).toBeGreaterThan(old.term);
      expect(c.running.has(old.nodeId)).toBe(false);
      const firstJob = acceptedFrom(old)[0] as DueJob;

      // A late message of the old term (a deposed leader's, delayed) is refused.
      const stale: DueJob = { ...firstJob, seq: 1_000_000, dueAtMs: Date.now() };
      nc?.publish(JOBS_DUE_SUBJECT, new TextEncoder().encode(JSON.stringify(stale)));
      await waitFor(() => consumer.judged.some((j) => j.job.seq === stale.seq), {
        description: "the stale message judged",
      });
      expect(consumer.judged.find((j) => j.job.seq === stale.seq)?.accepted).toBe(false);

      // Never a lower term accepted after a higher one; every refusal had a higher term before.
      const terms = consumer.accepted().map((job) => job.term);
      expect(terms).toEqual([...terms].sort((a, b) => a - b));
      for (const judged of consumer.judged.filter((j) => !j.accepted)) {
        expect(judged.job.term).toBeLessThan(judged.highestTermBefore);
      }
      expect(consumer.malformed).toBe(0);
    } finally {
      consumer.close();
    }
  }, 45_000);
});
