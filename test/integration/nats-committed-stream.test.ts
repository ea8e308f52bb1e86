/**
 * The remote client over a real nats-server, with three nodes (`startNodeProcess`, the code
 * `flotilla node` runs, here in this process) hosting two `log` groups: proposals apply once
 * through retries, linearizable reads, and `committed$` from any index — caught up from the
 * log or from a snapshot when the log is compacted, then live — with no gap and no duplicate
 * across a leader change.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Subscription } from "rxjs";
import { FlotillaClient, decodeWire } from "@flotilla/client";
import type { CommittedEvent } from "@flotilla/runtime";
import { NatsServer } from "@flotilla/testkit";
import type { RunningNode } from "flotilla";
import { startInProcessNode, until } from "../support/in-process-nodes.js";

const NODES = ["n1", "n2", "n3"];
const CLUSTER = "streams";

let server: NatsServer;
let root: string;
const running = new Map<string, RunningNode>();
let client: FlotillaClient;

async function startNode(nodeId: string): Promise<void> {
  const options = { cluster: CLUSTER, natsUrl: server.url, root, snapshotEntries: 50 };
  running.set(nodeId, await startInProcessNode(options, nodeId, `log:2:log:${NODES.join(",")}`));
}

function leaderOf(groupId: string): string | undefined {
  for (const [nodeId, node] of running) {
    if (node.node.status().some((s) => s.groupId === groupId && s.role === "leader")) return nodeId;
  }
  return undefined;
}

beforeAll(async () => {
  server = await NatsServer.start();
  root = await mkdtemp(join(tmpdir(), "flotilla-streams-"));
  for (const nodeId of NODES) await startNode(nodeId);
  client = await FlotillaClient.connect({ cluster: CLUSTER, nats: { servers: server.url } });
}, 60_000);

afterAll(async () => {
  await client?.close();
  for (const node of running.values()) await node.shutDown();
  await server?.dispose();
  if (root !== undefined) await rm(root, { recursive: true, force: true });
});

describe("the remote client over nats-server", () => {
  it("proposes and reads through the leader, wherever it is", async () => {
    const group = client.group<unknown, number, { from: number; limit: number }, unknown[]>(
      "log-0",
    );
    const positions = await Promise.all(
      Array.from({ length: 20 }, (_, i) => group.propose({ record: i })),
    );
    expect([...positions].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const records = await group.read({ from: 0, limit: 100 });
    expect(records).toHaveLength(20);
  });

  it("committed$ from index 1 after compaction starts with a snapshot, then follows live with no gap or duplicate across a leader change", async () => {
    const group = client.group("log-1");
    for (let i = 0; i < 120; i++) await group.propose({ n: i });
    // The log is compacted past index 1 on every node by now (snapshots every 50 entries).
    const events: CommittedEvent[] = [];
    let failure: unknown;
    const subscription: Subscription = group.committed$({ fromIndex: 1 }).subscribe({
      next: (event) => events.push(event),
      error: (error: unknown) => (failure = error),
    });
    try {
      const seen = () =>
        events
          .filter((e) => e.type === "entry")
          .map((e) => (decodeWire(e.data) as { n: number }).n);
      await until(() => failure !== undefined || seen().includes(119), "caught up to n=119");
      expect(failure).toBeUndefined();
      expect(events[0]?.type).toBe("snapshot");

      // Hand the leadership over (a SIGTERM-style stop), then write more.
      const leader = leaderOf("log-1");
      expect(leader).toBeDefined();
      await running.get(leader!)!.shutDown();
      running.delete(leader!);
      for (let i = 120; i < 160; i++) await group.propose({ n: i });
      await until(() => failure !== undefined || seen().includes(159), "followed live to n=159");
      expect(failure).toBeUndefined();

      // In order, once each; the snapshot covered the beginning.
      const indexes = events.map((e) => e.index);
      expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
      expect(new Set(indexes).size).toBe(indexes.length);
      const snapshot = events[0]!;
      const records = decodeWire(snapshot.data) as unknown[];
      const after = seen();
      expect(records.length + after.length).toBe(160);
      expect(after).toEqual(Array.from({ length: after.length }, (_, i) => records.length + i));
      await startNode(leader!);
    } finally {
      subscription.unsubscribe();
    }
  });
});
