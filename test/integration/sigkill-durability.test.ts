/**
 * Durability under repeated SIGKILL (issue 12): three `flotilla node` processes on LMDB in strict
 * durability over a real nats-server, 8 kv groups with small snapshot thresholds, writers
 * proposing unique keys without pause. K times in a row one node is SIGKILLed at a seeded random
 * moment of the write stream (a group's leader half the time), its LMDB directory is opened and
 * every record read back (no hole, every checksum verifies), and it is restarted on the same
 * directory. At the end every write acknowledged to a client is in its group's state on a
 * majority of the nodes, and every node's directory verifies once more after a last SIGKILL.
 *
 * K is `FLOTILLA_SIGKILL_ROUNDS` (default 5), the seed `FLOTILLA_SIGKILL_SEED`. Nothing here
 * depends on when a kill lands: the waits are bounded safety nets, never assertions on time.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlotillaClient } from "@flotilla/client";
import { SeededRandom } from "@flotilla/raft";
import { LmdbNodeStorage, verifyNodeStorage } from "@flotilla/storage-lmdb";
import { NatsServer, liveChildren, waitFor } from "@flotilla/testkit";
import { NodeProcesses } from "../support/node-processes.js";

const ROUNDS = positiveInteger(process.env["FLOTILLA_SIGKILL_ROUNDS"], 5);
const SEED = positiveInteger(process.env["FLOTILLA_SIGKILL_SEED"], 12_2025);
const CLUSTER = "sigkill";
const NODE_IDS = ["n1", "n2", "n3"] as const;
const SHARDS = 8;
const GROUP_IDS = Array.from({ length: SHARDS }, (_, i) => `s-${i}`);
/** Concurrent proposal loops, over two clients: enough to keep every group's pipeline busy. */
const WRITERS = 24;
/** The kill lands after a seeded number of further acknowledged writes in [min, max). */
const ACKS_BEFORE_KILL_MIN = 5;
const ACKS_BEFORE_KILL_MAX = 200;
/** Writes that must be acknowledged after a restart before the next kill: the stream goes on. */
const ACKS_AFTER_RESTART = 20;
/** Bound on each wait for progress; generous for a loaded 2-core machine. */
const PROGRESS_TIMEOUT_MS = 90_000;

type KvCommand = { op: "put"; key: string; value: number };
type KvQuery = { op: "get"; key: string };

let server: NatsServer | undefined;
let nodes: NodeProcesses | undefined;
let clients: FlotillaClient[] = [];

function positiveInteger(text: string | undefined, fallback: number): number {
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`not a positive integer: ${text}`);
  return value;
}

function fixture(): { nodes: NodeProcesses; clients: FlotillaClient[] } {
  if (nodes === undefined || clients.length === 0) throw new Error("the cluster did not start");
  return { nodes, clients };
}

beforeAll(async () => {
  server = await NatsServer.start();
  const url = server.url;
  nodes = await NodeProcesses.start({
    nodeIds: NODE_IDS,
    cluster: CLUSTER,
    natsServers: () => [url],
    shards: `s:${SHARDS}:kv:${NODE_IDS.join(",")}`,
    // Snapshots and compaction every few hundred entries, so kills land during them too and a
    // restarted node may be caught up by a snapshot.
    extraFlags: () => [
      ...["--durability", "strict", "--rebalance-ms", "0"],
      ...["--snapshot-entries", "400", "--compaction-trailing", "100"],
    ],
    controlNats: { servers: url },
  });
  for (let i = 0; i < 2; i++) {
    clients.push(
      await FlotillaClient.connect({
        cluster: CLUSTER,
        nats: { servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 100, timeout: 2_000 },
        timeoutMs: 10_000,
      }),
    );
  }
  await nodes.waitForLeaders(GROUP_IDS, 60_000);
}, 120_000);

afterAll(async () => {
  for (const client of clients) await client.close().catch(() => undefined);
  clients = [];
  await nodes?.dispose();
  await server?.dispose();
  expect(liveChildren()).toBe(0);
}, 60_000);

/** Proposal loops writing unique keys; what was acknowledged. */
class Writers {
  readonly acknowledged = new Map<string, number>();
  failures = 0;
  private stopped = false;
  private readonly loops: Promise<void>[];

  constructor(clients: readonly FlotillaClient[]) {
    this.loops = Array.from({ length: WRITERS }, (_, w) => {
      const client = clients[w % clients.length];
      if (client === undefined) throw new Error("no client");
      return this.loop(client, `w${w}`);
    });
  }

  /** Stops the loops; resolves once the last proposal settled (each is bounded). */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  /** Waits (bounded) until `count` more writes than now are acknowledged. */
  async waitForMore(count: number, description: string): Promise<void> {
    const target = this.acknowledged.size + count;
    await waitFor(() => this.acknowledged.size >= target, {
      description: `${count} more acknowledged writes ${description}`,
      timeoutMs: PROGRESS_TIMEOUT_MS,
      intervalMs: 20,
    });
  }

  private async loop(client: FlotillaClient, prefix: string): Promise<void> {
    const shards = client.shards<KvCommand, unknown, KvQuery, unknown>("s", SHARDS);
    // Bounded: it ends when stopped, and each proposal ends within its timeout.
    for (let i = 0; !this.stopped; i++) {
      const key = `${prefix}-${i}`;
      try {
        await shards.propose(key, { op: "put", key, value: i }, { timeoutMs: 8_000 });
        this.acknowledged.set(key, i);
      } catch {
        // Not acknowledged (it may still have applied): not checked either way.
        this.failures++;
      }
    }
  }
}

/** Opens `nodeId`'s stopped LMDB directory, reads every record back, and closes it. */
async function verifyDirectory(nodeId: string): Promise<{ groups: number; entries: number }> {
  const { nodes } = fixture();
  expect(nodes.isRunning(nodeId), `${nodeId} is stopped before its directory is opened`).toBe(
    false,
  );
  const storage = await LmdbNodeStorage.open(nodes.dataDir(nodeId), { durability: "strict" });
  try {
    const { groups } = verifyNodeStorage(storage);
    expect(groups.map((group) => group.groupId).sort()).toEqual([...GROUP_IDS].sort());
    return { groups: groups.length, entries: groups.reduce((sum, g) => sum + g.entries, 0) };
  } finally {
    await storage.close();
  }
}

/** The node to kill: a group's leader when `preferLeader` and one is known, else any node. */
async function chooseVictim(random: SeededRandom, preferLeader: boolean): Promise<string> {
  const { nodes } = fixture();
  if (preferLeader) {
    const leaders = [...(await nodes.leaders()).values()];
    const leader = leaders[random.nextInt(Math.max(1, leaders.length))];
    if (leader !== undefined) return leader;
  }
  return NODE_IDS[random.nextInt(NODE_IDS.length)] ?? "n1";
}

/**
 * Each acknowledged write's presence (with its value) in its group's state, per node: the keys
 * found on fewer than a majority of `nodeIds`, and the fewest nodes any key was found on.
 */
async function presence(
  acknowledged: ReadonlyMap<string, number>,
  nodeIds: readonly string[],
): Promise<{ underMajority: string[]; fewestCopies: number }> {
  const { nodes, clients } = fixture();
  const shards = clients[0]?.shards("s", SHARDS);
  if (shards === undefined) throw new Error("no client");
  const copies = new Map<string, number>();
  for (const groupId of GROUP_IDS) {
    for (const nodeId of nodeIds) {
      const { entries } = await nodes.state(nodeId, groupId);
      for (const [key, value] of acknowledged) {
        if (shards.groupFor(key) === groupId && entries.get(key) === value) {
          copies.set(key, (copies.get(key) ?? 0) + 1);
        }
      }
    }
  }
  const majority = Math.floor(nodeIds.length / 2) + 1;
  const counts = [...acknowledged.keys()].map((key) => copies.get(key) ?? 0);
  return {
    underMajority: [...acknowledged.keys()].filter((key) => (copies.get(key) ?? 0) < majority),
    fewestCopies: Math.min(nodeIds.length, ...counts),
  };
}

describe("durability under repeated SIGKILL (3 node processes, strict LMDB, one nats-server)", () => {
  it(
    `every acknowledged write survives ${ROUNDS} SIGKILLs mid-stream, and every killed log verifies`,
    async () => {
      const { nodes, clients } = fixture();
      const random = new SeededRandom(SEED);
      const started = performance.now();
      const writers = new Writers(clients);
      let leaderKills = 0;
      let verifiedEntries = 0;
      try {
        await writers.waitForMore(ACKS_AFTER_RESTART, "before the first kill");
        for (let round = 1; round <= ROUNDS; round++) {
          const preferLeader = random.chance(0.5);
          const acksBeforeKill =
            ACKS_BEFORE_KILL_MIN + random.nextInt(ACKS_BEFORE_KILL_MAX - ACKS_BEFORE_KILL_MIN);
          await writers.waitForMore(acksBeforeKill, `before kill ${round}`);
          const victim = await chooseVictim(random, preferLeader);
          if (preferLeader) leaderKills++;
          const exit = await nodes.kill(victim, "SIGKILL");
          expect(exit, `kill ${round} of ${victim}`).toEqual({ code: null, signal: "SIGKILL" });
          verifiedEntries += (await verifyDirectory(victim)).entries;
          nodes.start(victim);
          await nodes.waitUntilServing(victim, 60_000);
          await writers.waitForMore(ACKS_AFTER_RESTART, `after restart ${round} of ${victim}`);
        }
      } finally {
        await writers.stop();
      }
      const acknowledged = writers.acknowledged;
      expect(acknowledged.size).toBeGreaterThan(0);

      // Every acknowledged write is on a majority (all three should have it once caught up, but
      // a majority is the promise).
      await nodes.waitForLeaders(GROUP_IDS, 60_000);
      await nodes.waitForCatchUp(GROUP_IDS, 60_000);
      const { underMajority, fewestCopies } = await presence(acknowledged, NODE_IDS);
      expect(
        underMajority.slice(0, 20),
        `${underMajority.length} acknowledged writes lost`,
      ).toEqual([]);

      // A last SIGKILL of every node, and every directory reads back whole.
      for (const nodeId of NODE_IDS) await nodes.kill(nodeId, "SIGKILL");
      for (const nodeId of NODE_IDS) verifiedEntries += (await verifyDirectory(nodeId)).entries;

      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.log(
        `sigkill: rounds=${ROUNDS} seed=${SEED} acked=${acknowledged.size} ` +
          `unacked=${writers.failures} lost=${underMajority.length} fewest-copies=${fewestCopies} ` +
          `leader-preferred=${leaderKills} verified-entries=${verifiedEntries} duration=${seconds}s`,
      );
    },
    180_000 + ROUNDS * 150_000,
  );
});
