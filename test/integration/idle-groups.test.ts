/**
 * 1,000 groups on 3 nodes fall quiet (issue 4, "done when"): real LMDB files, the system clock
 * (100 ms ticks) and the in-memory network, all in this process.
 *
 * Once every group has a leader and every replica sleeps, a real 10-second idle window carries
 * no per-group message at all — counted at the transport, where node-level liveness pings
 * (empty batches) are counted apart. Then a proposal to every group still commits, and stopping
 * the node that leads the most groups gets each of its groups a new leader.
 *
 * Nothing here asserts on time: the waits are bounded safety nets, and the idle figures (CPU,
 * pings) are printed for the record, not checked.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { nodeId, type NodeId } from "@flotilla/raft";
import { LmdbNodeStorage } from "@flotilla/storage-lmdb";
import {
  FlotillaNode,
  InMemoryNetwork,
  jsonCodec,
  isNotLeaderError,
  isProposalDroppedError,
  isProposalOutcomeUnknownError,
  type Group,
  type LeaderInfo,
  type StateMachine,
  type Transport,
} from "../../packages/runtime/src/index.js";

const GROUP_COUNT = 1000;
const IDLE_WINDOW_MS = 10_000;
const GROUPS = Array.from({ length: GROUP_COUNT }, (_, i) => `idle-${i}`);
const NODE_IDS = ["n1", "n2", "n3"].map(nodeId);

/** A counter state machine: each command adds to it. */
class Counter implements StateMachine<number, number, null, number> {
  total = 0;
  apply(command: number): number {
    this.total += command;
    return this.total;
  }
  query(): number {
    return this.total;
  }
  snapshot(): Uint8Array {
    return new TextEncoder().encode(String(this.total));
  }
  restore(snapshot: Uint8Array): void {
    this.total = Number(new TextDecoder().decode(snapshot));
  }
}

/** What crossed one node's transport. */
interface Traffic {
  /** Raft messages sent, per group. */
  readonly perGroup: Map<string, number>;
  /** Empty batches: node-level liveness pings. */
  pings: number;
}

interface HostedNode {
  readonly id: NodeId;
  readonly node: FlotillaNode;
  readonly traffic: Traffic;
  readonly groups: Map<string, Group<number, number, null, number>>;
  readonly leaders: Map<string, LeaderInfo>;
}

const network = new InMemoryNetwork();
const hosted: HostedNode[] = [];
let root: string | undefined;

afterAll(async () => {
  for (const n of hosted) await n.node.stop();
  if (root !== undefined) await rm(root, { recursive: true, force: true });
});

function counting(transport: Transport, traffic: Traffic): Transport {
  return {
    send: (to, batch) => {
      if (batch.messages.length === 0) traffic.pings++;
      for (const { groupId } of batch.messages) {
        traffic.perGroup.set(groupId, (traffic.perGroup.get(groupId) ?? 0) + 1);
      }
      transport.send(to, batch);
    },
    onBatch: (handler) => transport.onBatch(handler),
  };
}

async function startNode(id: NodeId, dir: string): Promise<HostedNode> {
  const traffic: Traffic = { perGroup: new Map(), pings: 0 };
  const node = await FlotillaNode.start({
    nodeId: id,
    storage: await LmdbNodeStorage.open(join(dir, id), { durability: "strict" }),
    transport: counting(network.endpoint(id), traffic),
    tickIntervalMs: 100,
    electionTicks: 10,
  });
  const groups = new Map<string, Group<number, number, null, number>>();
  const leaders = new Map<string, LeaderInfo>();
  for (const groupId of GROUPS) {
    const group = await node.group(groupId, {
      members: NODE_IDS,
      stateMachine: new Counter(),
      codec: jsonCodec<number>(),
    });
    group.leader$.subscribe((info) => leaders.set(groupId, info));
    groups.set(groupId, group);
  }
  return { id, node, traffic, groups, leaders };
}

/** Polls until `predicate` holds; a bound on real time is only a safety net. */
async function until(predicate: () => boolean, what: string, boundMs: number): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`not reached within ${boundMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Adds 1 to `groupId`'s counter once, through whichever of `among` leads it, and returns the
 * total that `total` says it should reach. A machine busy enough to stall this process past an
 * election timeout makes leaders step down (ADR 0010), so a proposal may be refused or end with
 * an unknown outcome: then a linearizable read (which waits for a leader of the new term, whose
 * no-op settles the old entry's fate) says whether it applied, and only if not is it proposed
 * again. Bounded.
 */
async function addOnce(groupId: string, among: readonly HostedNode[], total: number) {
  for (let attempt = 1; ; attempt++) {
    await until(() => leaderOf(groupId, among) !== undefined, `a leader of ${groupId}`, 120_000);
    const group = leaderOf(groupId, among)!.groups.get(groupId)!;
    try {
      return await group.propose(1);
    } catch (error) {
      const retriable =
        isNotLeaderError(error) ||
        isProposalDroppedError(error) ||
        isProposalOutcomeUnknownError(error);
      if (!retriable || attempt >= 20) throw error;
    }
    const read = await readTotal(groupId, among);
    if (read >= total) return read;
  }
}

/** A linearizable read of `groupId`'s total, retried (bounded) through leadership changes. */
async function readTotal(groupId: string, among: readonly HostedNode[]): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    await until(() => leaderOf(groupId, among) !== undefined, `a leader of ${groupId}`, 120_000);
    try {
      return await leaderOf(groupId, among)!.groups.get(groupId)!.read(null);
    } catch (error) {
      if (!(isNotLeaderError(error) || isProposalDroppedError(error)) || attempt >= 20) throw error;
    }
  }
}

/** The node every member of `among` names as the leader of `groupId`, if they agree. */
function leaderOf(groupId: string, among: readonly HostedNode[]): HostedNode | undefined {
  const named = new Set(among.map((n) => n.leaders.get(groupId)?.leaderId));
  if (named.size !== 1) return undefined;
  const [leaderId] = named;
  return among.find((n) => n.id === leaderId);
}

describe(`${GROUP_COUNT} groups on 3 nodes`, () => {
  it("fall quiet: a 10-second idle window carries no per-group message, proposals still commit, and a stopped node's groups get new leaders", async () => {
    root = await mkdtemp(join(tmpdir(), "flotilla-idle-"));
    for (const id of NODE_IDS) hosted.push(await startNode(id, root));

    await until(
      () => GROUPS.every((g) => leaderOf(g, hosted) !== undefined),
      "every group has a leader",
      120_000,
    );
    await until(
      () => hosted.every((n) => n.node.stats().quiescedReplicas === GROUP_COUNT),
      "every replica sleeps",
      120_000,
    );

    const before = hosted.map((n) => ({
      perGroup: new Map(n.traffic.perGroup),
      pings: n.traffic.pings,
    }));
    const cpuBefore = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, IDLE_WINDOW_MS));
    const cpu = process.cpuUsage(cpuBefore);

    let perGroupMessages = 0;
    hosted.forEach((n, i) => {
      for (const [groupId, count] of n.traffic.perGroup) {
        perGroupMessages += count - (before[i]!.perGroup.get(groupId) ?? 0);
      }
    });
    const pings = hosted.reduce((sum, n, i) => sum + n.traffic.pings - before[i]!.pings, 0);
    const cpuPercent = ((cpu.user + cpu.system) / 1000 / IDLE_WINDOW_MS) * 100;
    console.log(
      `idle window: ${IDLE_WINDOW_MS} ms, ${GROUP_COUNT} groups × 3 nodes in one process: ` +
        `per-group messages=${perGroupMessages}, liveness pings=${pings}, ` +
        `CPU=${cpuPercent.toFixed(2)}% of one core, RSS=${Math.round(process.memoryUsage().rss / 2 ** 20)} MB`,
    );
    expect(perGroupMessages).toBe(0);
    expect(pings).toBeGreaterThan(0);
    expect(hosted.every((n) => n.node.stats().quiescedReplicas === GROUP_COUNT)).toBe(true);

    // A proposal to any of them still commits (here: to every one).
    const totals = await Promise.all(GROUPS.map((g) => addOnce(g, hosted, 1)));
    expect(totals.every((total) => total === 1)).toBe(true);

    // Stop the node that leads the most groups: every group gets a leader on the others.
    const led = hosted.map((n) => GROUPS.filter((g) => leaderOf(g, hosted) === n).length);
    const victim = hosted[led.indexOf(Math.max(...led))]!;
    await victim.node.stop();
    const survivors = hosted.filter((n) => n !== victim);
    await until(
      () =>
        GROUPS.every((g) => {
          const leader = leaderOf(g, survivors);
          return leader !== undefined && leader.leaders.get(g)?.leaderId === leader.id;
        }),
      "every group has a leader among the survivors",
      120_000,
    );
    const after = await Promise.all(GROUPS.map((g) => addOnce(g, survivors, 2)));
    expect(after.every((total) => total === 2)).toBe(true);
  });
});
