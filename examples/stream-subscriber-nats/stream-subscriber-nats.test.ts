/**
 * The stream-subscriber-nats example against a real nats-server: three nodes (in this process)
 * host 16 `log` groups; a writer proposes uniquely numbered transfers without pause; the
 * subscriber runs as a separate process, is SIGKILLed mid-stream and started again, and its
 * final read model must equal the groups' state exactly — every transfer applied once, the
 * balances equal, the last indexes those of the groups' committed streams.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Subscription } from "rxjs";
import { FlotillaClient, type ShardedSet } from "@flotilla/client";
import { waitFor } from "@flotilla/testkit";
import { ExampleProcess } from "../kv-nats/example-process.js";
import { LocalCluster } from "../kv-nats/local-cluster.js";
import { asTransfer, parseModel, type SavedModel, type Transfer } from "./ledger-read-model.js";
import { LedgerSubscriber } from "./ledger-subscriber.js";
import { StateFile } from "./state-file.js";

const GROUP_COUNT = 16;
const GROUP_IDS = Array.from({ length: GROUP_COUNT }, (_, i) => `ledger-${i}`);
/** Transfers the subscriber applies, or that commit while it is down, between two steps. */
const STEP = 150;

let cluster: LocalCluster | undefined;
let client: FlotillaClient | undefined;
let dir: string | undefined;
const subscribers: ExampleProcess[] = [];

beforeAll(async () => {
  cluster = await LocalCluster.start({
    cluster: "ledger",
    groupFlags: ["--shards", `ledger:${GROUP_COUNT}:log:n1,n2,n3`],
  });
  await cluster.waitForLeaders(GROUP_IDS);
  client = await FlotillaClient.connect({ cluster: "ledger", nats: { servers: cluster.url } });
  dir = await mkdtemp(join(tmpdir(), "flotilla-ledger-subscriber-"));
}, 30_000);

afterAll(async () => {
  for (const subscriber of subscribers) await subscriber.kill();
  await client?.close();
  await cluster?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
}, 30_000);

/** Proposes transfers with unique sequence numbers, `concurrency` at a time, until stopped. */
class Writer {
  acknowledged = 0;
  readonly failures: unknown[] = [];
  private seq = 0;
  private stopping = false;
  private readonly loops: Promise<void>[];

  constructor(shards: ShardedSet<Transfer, number, unknown, unknown>, concurrency = 8) {
    this.loops = Array.from({ length: concurrency }, async () => {
      while (!this.stopping) {
        const seq = ++this.seq;
        const account = `acct-${seq % 64}`; // 64 accounts: every group gets some
        try {
          await shards.propose(account, { seq, account, amount: (seq % 7) - 3 });
          this.acknowledged++;
        } catch (error) {
          this.failures.push(error);
        }
      }
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }
}

/** A group's state by a linearizable read of its log: balances, and each `seq` once. */
async function groupState(
  c: FlotillaClient,
  groupId: string,
): Promise<{
  count: number;
  balances: Record<string, number>;
  applications: Record<string, number>;
}> {
  const records = await c
    .group<unknown, unknown, { from: number; limit: number }, unknown[]>(groupId)
    .read({ from: 0, limit: 100_000 });
  const balances: Record<string, number> = {};
  const applications: Record<string, number> = {};
  for (const record of records) {
    const t = asTransfer(record);
    if (t === undefined) throw new Error(`not a transfer in ${groupId}`);
    balances[t.account] = (balances[t.account] ?? 0) + t.amount;
    applications[String(t.seq)] = 1;
  }
  return { count: records.length, balances, applications };
}

describe("stream-subscriber-nats example: a separate process resuming after SIGKILL", () => {
  it("ends with the groups' exact state: no gap, no duplicate", async () => {
    const c = client as FlotillaClient;
    const statePath = join(dir ?? "", "ledger.json");
    const start = (): ExampleProcess => {
      const subscriber = new ExampleProcess(
        "examples/stream-subscriber-nats/subscriber-service.ts",
        {
          FLOTILLA_NATS: cluster?.url ?? "",
          FLOTILLA_CLUSTER: "ledger",
          LEDGER_GROUPS: `ledger:${GROUP_COUNT}`,
          LEDGER_STATE_FILE: statePath,
        },
      );
      subscribers.push(subscriber);
      return subscriber;
    };
    const saved = async (): Promise<SavedModel> => parseModel(await readFile(statePath, "utf8"));
    const appliedIn = (model: SavedModel): number =>
      Object.values(model.groups)
        .flatMap((group) => Object.values(group.applications))
        .reduce((sum, n) => sum + n, 0);

    // A reference follower in this process: each group's last committed index.
    const lastIndex = new Map<string, number>();
    let referenceCount = 0;
    const references: Subscription[] = GROUP_IDS.map((groupId) =>
      c
        .group(groupId)
        .committed$({ fromIndex: 1 })
        .subscribe((event) => {
          lastIndex.set(groupId, event.index);
          referenceCount++;
        }),
    );
    const writer = new Writer(c.shards<Transfer, number, unknown, unknown>("ledger", GROUP_COUNT));
    try {
      // First life: killed while the writer keeps writing.
      const first = start();
      await waitFor(async () => appliedIn(await saved()) >= STEP, {
        description: `the first life persisted ${STEP} transfers`,
        timeoutMs: 20_000,
      }).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${first.text}`);
      });
      await first.kill("SIGKILL");
      const atKill = await saved();
      const acknowledgedAtKill = writer.acknowledged;

      // Down: more transfers commit meanwhile.
      await waitFor(() => writer.acknowledged >= acknowledgedAtKill + STEP, {
        description: `${STEP} more transfers while the subscriber is down`,
      });

      // Second life: resumes from the saved indexes while the writer goes on, then it stops.
      const second = start();
      const acknowledgedAtRestart = writer.acknowledged;
      await waitFor(() => writer.acknowledged >= acknowledgedAtRestart + STEP, {
        description: `${STEP} more transfers after the restart`,
      });
      await writer.stop();
      expect(writer.failures).toEqual([]);
      await waitFor(() => referenceCount === writer.acknowledged, {
        description: "the reference follower saw every acknowledged transfer",
      });
      await waitFor(
        async () => {
          const model = await saved();
          return GROUP_IDS.every(
            (groupId) => model.groups[groupId]?.lastIndex === (lastIndex.get(groupId) ?? 0),
          );
        },
        { description: "the subscriber persisted every group's last index", timeoutMs: 15_000 },
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${second.text}`);
      });
      expect(await second.kill("SIGTERM")).toBe(0);

      // It was killed mid-stream, and resumed from where its file said.
      const resumed = JSON.parse(
        second.lines().find((line) => line.includes('"resumed"')) ?? "{}",
      ) as {
        fromIndex?: Record<string, number>;
      };
      for (const groupId of GROUP_IDS) {
        expect(resumed.fromIndex?.[groupId]).toBe((atKill.groups[groupId]?.lastIndex ?? 0) + 1);
      }
      expect(appliedIn(atKill)).toBeGreaterThan(0);
      expect(appliedIn(atKill)).toBeLessThan(writer.acknowledged);

      // The final read model is the groups' state: each transfer once, the same balances.
      const model = await saved();
      expect(model.duplicatesSkipped).toBe(0);
      for (const groupId of GROUP_IDS) {
        const expected = await groupState(c, groupId);
        const group = model.groups[groupId];
        expect(expected.count, groupId).toBeGreaterThan(0);
        expect(group?.applications, groupId).toEqual(expected.applications);
        expect(group?.balances, groupId).toEqual(expected.balances);
        expect(group?.lastIndex, groupId).toBe(lastIndex.get(groupId));
      }
      expect(appliedIn(model)).toBe(writer.acknowledged);
    } finally {
      await writer.stop();
      for (const reference of references) reference.unsubscribe();
    }
  }, 60_000);

  // Found a runtime bug: every client retry appended a copy of the command, and committed$
  // emitted each copy. The leader now appends a session command once (replica.ts,
  // answeredWithoutAppending). Retries are forced here with a 3 ms attempt timeout.
  it("stays exact when the writer's proposals are retried", async () => {
    const c = client as FlotillaClient;
    const retrying = await FlotillaClient.connect({
      cluster: "ledger",
      nats: { servers: cluster?.url ?? "" },
      attemptTimeoutMs: 3,
      timeoutMs: 2_000,
    });
    const stateFile = new StateFile(join(dir ?? "", "retried.json"));
    const subscriber = await LedgerSubscriber.start({
      client: c,
      groupIds: GROUP_IDS,
      stateFile,
    });
    try {
      const shards = retrying.shards<Transfer, number, unknown, unknown>("ledger", GROUP_COUNT);
      await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => {
          const seq = 1_000_000 + i;
          const account = `acct-${i}`;
          return shards.propose(account, { seq, account, amount: 1 });
        }),
      );
      const expected = new Map<string, Awaited<ReturnType<typeof groupState>>>();
      for (const groupId of GROUP_IDS) expected.set(groupId, await groupState(c, groupId));
      const total = [...expected.values()].reduce((sum, state) => sum + state.count, 0);
      const applied = () =>
        Object.values(subscriber.model.groups)
          .flatMap((group) => Object.values(group.applications))
          .reduce((sum, n) => sum + n, 0);
      // Caught up: at least every record applied (a retried copy makes it more).
      await waitFor(() => applied() >= total, { description: "the subscriber caught up" });
      for (const groupId of GROUP_IDS) {
        expect(subscriber.model.groups[groupId]?.applications, groupId).toEqual(
          expected.get(groupId)?.applications,
        );
      }
    } finally {
      await subscriber.stop();
      await retrying.close();
    }
  }, 30_000);
});
