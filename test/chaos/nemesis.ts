/**
 * The nemesis at work: it plays a seeded schedule (nemesis-schedule.ts) against the live
 * cluster — SIGKILL and restart of nodes, SIGSTOP/SIGCONT of nodes and NATS servers, NATS server
 * kills, partitions, latency and duplication through the nodes' chaos fault hook, leadership
 * transfers and membership changes — choosing targets among what is running then (leaders
 * preferred), and logs every fault to `faults.jsonl`. `healAll` ends every fault and puts every
 * removed member back, for the quiet period.
 */
import { appendFileSync } from "node:fs";
import { setTimeout as delay } from "node:timers/promises";
import type { ChaosCluster } from "./chaos-cluster.js";
import type { PlannedFault, PrimaryFault } from "./nemesis-schedule.js";

/** One line of `faults.jsonl`. */
export interface FaultRecord {
  /** Milliseconds since the workload started. */
  readonly tMs: number;
  /** CLOCK_MONOTONIC ns, comparable with the history and the sink's acts. */
  readonly ns: number;
  readonly kind: string;
  /** `start` and `end` of a fault that holds; `done` of a one-shot action; `failed`. */
  readonly phase: "start" | "end" | "done" | "failed";
  readonly target?: string;
  readonly detail?: Record<string, unknown>;
}

/** Bound on a node's restart (until it answers status). */
const RESTART_BOUND_MS = 60_000;
/** Bound on a learner catching up before it is promoted. */
const CATCH_UP_BOUND_MS = 20_000;

/** Plays faults against a cluster. */
export class Nemesis {
  /** Applied faults by kind (starts and one-shot actions that succeeded). */
  readonly counts = new Map<string, number>();
  /** A paused node that led at least one group, for longer than the election timeout. */
  pausedALeader = false;
  /** The member each group lost to a removal, until it is back. */
  private readonly removed = new Map<string, string>();
  private sideAction: Promise<void> | undefined;
  private readonly started = Date.now();

  constructor(
    private readonly cluster: ChaosCluster,
    private readonly faultsFile: string,
    private readonly say: (line: string) => void,
  ) {}

  /** Plays `schedule` until its end or until `stopped()` (checked between faults). */
  async play(schedule: readonly PlannedFault[], stopped: () => boolean): Promise<void> {
    for (const fault of schedule) {
      const wait = fault.atMs - (Date.now() - this.started);
      if (wait > 0) await delay(wait);
      if (stopped()) break;
      await this.primary(fault);
    }
    await this.sideAction;
  }

  /** Members removed and not yet back, by group. */
  removedMembers(): ReadonlyMap<string, string> {
    return this.removed;
  }

  /**
   * Ends every fault: SIGCONT and restart what is stopped or dead, clear every fault rule, put
   * every removed member back (bounded).
   */
  async healAll(): Promise<void> {
    await this.sideAction;
    const { nats, nodes } = this.cluster;
    for (let i = 0; i < nats.size; i++) {
      const server = nats.server(i);
      if (server.pid !== undefined) process.kill(server.pid, "SIGCONT");
      if (!server.running) await nats.restart(i);
    }
    for (const nodeId of nodes.nodeIds) {
      const pid = nodes.pid(nodeId);
      if (pid !== undefined) process.kill(pid, "SIGCONT");
      if (!nodes.isRunning(nodeId)) {
        nodes.start(nodeId);
        await nodes.waitUntilServing(nodeId, RESTART_BOUND_MS);
      }
    }
    await this.clearRules();
    for (const [groupId, nodeId] of [...this.removed]) {
      await this.readd(groupId, nodeId).catch((error: unknown) =>
        this.say(`heal: ${nodeId} not back in ${groupId}: ${String(error)}`),
      );
    }
  }

  private async primary(fault: PlannedFault): Promise<void> {
    const [pick, variant, strength] = fault.picks;
    if (fault.side !== undefined) {
      const side = fault.side;
      this.sideAction ??= delay(side.afterMs)
        .then(() => this.side(side.action, side.pick))
        .finally(() => (this.sideAction = undefined));
    }
    try {
      await this.inject(fault.kind, fault.holdMs, pick, variant, strength);
    } catch (error) {
      this.log({ kind: fault.kind, phase: "failed", detail: { error: String(error) } });
    }
  }

  private async inject(
    kind: PrimaryFault,
    holdMs: number,
    pick: number,
    variant: number,
    strength: number,
  ): Promise<void> {
    const { nats, nodes } = this.cluster;
    switch (kind) {
      case "node-kill": {
        const { nodeId, led } = await this.chooseNode(pick);
        await nodes.kill(nodeId, "SIGKILL");
        this.log({ kind, phase: "start", target: nodeId, detail: { led, holdMs } });
        await delay(holdMs);
        nodes.start(nodeId);
        await nodes.waitUntilServing(nodeId, RESTART_BOUND_MS);
        this.log({ kind, phase: "end", target: nodeId });
        return;
      }
      case "node-pause": {
        // The node leading the most groups: the case fencing tokens exist for.
        const { nodeId, led } = await this.chooseNode(0);
        const pid = nodes.pid(nodeId);
        if (pid === undefined) throw new Error(`${nodeId} is not running`);
        process.kill(pid, "SIGSTOP");
        this.log({ kind, phase: "start", target: nodeId, detail: { led, holdMs } });
        if (led > 0) this.pausedALeader = true;
        await delay(holdMs);
        process.kill(pid, "SIGCONT");
        this.log({ kind, phase: "end", target: nodeId });
        return;
      }
      case "nats-kill": {
        const index = Math.floor(pick * nats.size);
        await nats.server(index).kill();
        this.log({ kind, phase: "start", target: `nats-${index}`, detail: { holdMs } });
        await delay(holdMs);
        await nats.restart(index);
        this.log({ kind, phase: "end", target: `nats-${index}` });
        return;
      }
      case "nats-pause": {
        const index = Math.floor(pick * nats.size);
        const pid = nats.server(index).pid;
        if (pid === undefined) throw new Error(`nats-${index} is not running`);
        process.kill(pid, "SIGSTOP");
        this.log({ kind, phase: "start", target: `nats-${index}`, detail: { holdMs } });
        await delay(holdMs);
        process.kill(pid, "SIGCONT");
        this.log({ kind, phase: "end", target: `nats-${index}` });
        return;
      }
      case "partition-one-way":
      case "partition-two-way":
      case "latency":
      case "duplication": {
        const { nodeId } = await this.chooseNode(pick);
        const rules = this.networkRules(kind, nodeId, variant, strength);
        await this.setRules(rules);
        this.log({
          kind,
          phase: "start",
          target: nodeId,
          detail: { rules: Object.fromEntries(rules) },
        });
        await delay(holdMs);
        await this.clearRules();
        this.log({ kind, phase: "end", target: nodeId });
        return;
      }
    }
  }

  /** Each node's outgoing rules for a network fault around `target`. */
  private networkRules(
    kind: PrimaryFault,
    target: string,
    variant: number,
    strength: number,
  ): Map<string, Record<string, number | string>[]> {
    const nodeIds = this.cluster.nodes.nodeIds;
    const others = nodeIds.filter((nodeId) => nodeId !== target);
    const rules = new Map<string, Record<string, number | string>[]>();
    const add = (from: string, rule: Record<string, number | string>): void => {
      rules.set(from, [...(rules.get(from) ?? []), rule]);
    };
    switch (kind) {
      case "partition-one-way":
        // Half the time the target cannot send (a leader that hears but is not heard), half the
        // time it cannot hear.
        for (const other of others) {
          if (variant < 0.5) add(target, { to: other, drop: 1 });
          else add(other, { to: target, drop: 1 });
        }
        break;
      case "partition-two-way": {
        // The target isolated from everyone, or cut from one other node only.
        const cut = variant < 0.5 ? others : others.slice(0, 1);
        for (const other of cut) {
          add(target, { to: other, drop: 1 });
          add(other, { to: target, drop: 1 });
        }
        break;
      }
      case "latency": {
        const delayMs = 10 + Math.floor(strength * 90);
        for (const from of nodeIds) {
          for (const to of nodeIds) {
            if (from !== to) add(from, { to, delayMs, jitterMs: Math.floor(delayMs / 2) });
          }
        }
        break;
      }
      case "duplication": {
        const duplicate = 0.2 + 0.4 * strength;
        for (const from of nodeIds) {
          for (const to of nodeIds) if (from !== to) add(from, { to, duplicate, jitterMs: 5 });
        }
        break;
      }
      case "node-kill":
      case "node-pause":
      case "nats-kill":
      case "nats-pause":
        break;
    }
    return rules;
  }

  private async setRules(rules: ReadonlyMap<string, readonly object[]>): Promise<void> {
    await Promise.all(
      [...rules].map(([nodeId, nodeRules]) =>
        this.cluster.nodes.control(nodeId, { op: "faults", rules: nodeRules }, 5_000),
      ),
    );
  }

  /** Clears every running node's rules (a node restarted since has none). */
  private async clearRules(): Promise<void> {
    const { nodes } = this.cluster;
    for (let attempt = 0; attempt < 20; attempt++) {
      const results = await Promise.allSettled(
        nodes.liveNodeIds().map((nodeId) => nodes.control(nodeId, { op: "faults", rules: [] })),
      );
      if (results.every((result) => result.status === "fulfilled")) return;
      await delay(250);
    }
    throw new Error("could not clear the fault rules of every node");
  }

  /**
   * A running node: with `pick` below 0.6 the one leading the most groups (leaders preferred),
   * otherwise one chosen by `pick` among the running nodes.
   */
  private async chooseNode(pick: number): Promise<{ nodeId: string; led: number }> {
    const { nodes } = this.cluster;
    const live = nodes.liveNodeIds();
    const leaders = await nodes.leaders().catch(() => new Map<string, string>());
    const led = (nodeId: string): number =>
      [...leaders.values()].filter((leader) => leader === nodeId).length;
    const byLed = [...live].sort((a, b) => led(b) - led(a) || a.localeCompare(b));
    const nodeId = pick < 0.6 ? byLed[0] : live[Math.floor(((pick - 0.6) / 0.4) * live.length)];
    if (nodeId === undefined) throw new Error("no running node");
    return { nodeId, led: led(nodeId) };
  }

  private async side(action: "transfer-leader" | "membership", pick: number): Promise<void> {
    try {
      if (action === "transfer-leader") await this.transfer(pick);
      else await this.membership(pick);
    } catch (error) {
      this.log({ kind: action, phase: "failed", detail: { error: String(error) } });
    }
  }

  private async transfer(pick: number): Promise<void> {
    const { nodes } = this.cluster;
    const leaders = await nodes.leaders();
    const groupId = this.pickGroup(pick);
    const leader = leaders.get(groupId);
    if (leader === undefined) throw new Error(`${groupId} has no leader now`);
    const status = (await nodes.status(leader)).groups.find((g) => g.groupId === groupId);
    const to = status?.voters.find((v) => v !== leader && nodes.isRunning(v));
    if (to === undefined) throw new Error(`${groupId}: no voter to transfer to`);
    await nodes.control(leader, { op: "transfer-leader", groupId, to });
    this.log({
      kind: "transfer-leader",
      phase: "done",
      target: groupId,
      detail: { from: leader, to },
    });
  }

  /** Removes a member of a group (at most one group short at a time), or puts it back. */
  private async membership(pick: number): Promise<void> {
    const back = [...this.removed][0];
    if (back !== undefined) {
      await this.readd(back[0], back[1]);
      return;
    }
    const { nodes } = this.cluster;
    const groupId = this.pickGroup(pick);
    const leader = (await nodes.leaders()).get(groupId);
    if (leader === undefined) throw new Error(`${groupId} has no leader now`);
    const status = (await nodes.status(leader)).groups.find((g) => g.groupId === groupId);
    const member = status?.voters.find((v) => v !== leader && nodes.isRunning(v));
    if (member === undefined || (status?.voters.length ?? 0) < 3) {
      throw new Error(`${groupId}: no member to remove`);
    }
    await nodes.control(leader, { op: "remove-member", groupId, nodeId: member }, 15_000);
    this.removed.set(groupId, member);
    this.log({ kind: "remove-member", phase: "done", target: groupId, detail: { member, leader } });
    // Its data goes, so that it comes back as a new learner (control-service.ts).
    await nodes.control(member, { op: "delete-group", groupId }, 10_000).catch(() => undefined);
  }

  /** Puts `nodeId` back into `groupId`: hosted afresh, added as a learner, promoted once caught up. */
  private async readd(groupId: string, nodeId: string): Promise<void> {
    const { nodes } = this.cluster;
    if (!nodes.isRunning(nodeId)) throw new Error(`${nodeId} is not running`);
    const leader = (await nodes.leaders()).get(groupId);
    if (leader === undefined) throw new Error(`${groupId} has no leader now`);
    const status = (await nodes.status(leader)).groups.find((g) => g.groupId === groupId);
    if (status === undefined) throw new Error(`${groupId}: no status from ${leader}`);
    // Already a learner (an earlier attempt added it, then its promotion failed): its replica
    // holds what it acknowledged, so it must not be deleted — a leader never re-sends what a
    // follower acknowledged, and a wiped learner would wait forever. Only promote it.
    if (status.voters.includes(nodeId)) {
      // An earlier promotion went through though its answer was lost: nothing left to do.
      this.removed.delete(groupId);
      return;
    }
    if (!status.learners.includes(nodeId)) {
      // A delete that failed earlier (the node was down) is done now.
      await nodes.control(nodeId, { op: "delete-group", groupId }, 10_000).catch(() => undefined);
      // The documented way (flotilla add-learner): hosted with the founding members the leader
      // reports, the membership its log replays from (control-service.ts, group-spec).
      const spec = (await nodes.control(leader, { op: "group-spec", groupId }, 10_000)) as {
        founders: string[];
      };
      await nodes.control(
        nodeId,
        { op: "create-group", groupId, kind: "chaos", members: spec.founders },
        10_000,
      );
      await nodes.control(leader, { op: "add-learner", groupId, nodeId }, 15_000);
      this.log({
        kind: "add-learner",
        phase: "done",
        target: groupId,
        detail: { member: nodeId, leader },
      });
    }
    const deadline = Date.now() + CATCH_UP_BOUND_MS;
    for (;;) {
      const mine = (await nodes.status(nodeId)).groups.find((g) => g.groupId === groupId);
      if (mine !== undefined && mine.appliedIndex >= status.commitIndex) break;
      if (Date.now() > deadline) throw new Error(`${nodeId} did not catch up in ${groupId}`);
      await delay(200);
    }
    const now = (await nodes.leaders()).get(groupId);
    if (now === undefined) throw new Error(`${groupId} has no leader to promote ${nodeId}`);
    await nodes.control(now, { op: "promote", groupId, nodeId }, 15_000);
    this.removed.delete(groupId);
    this.log({
      kind: "promote",
      phase: "done",
      target: groupId,
      detail: { member: nodeId, leader: now },
    });
  }

  private pickGroup(pick: number): string {
    const { groupIds } = this.cluster;
    const groupId = groupIds[Math.floor(pick * groupIds.length)];
    if (groupId === undefined) throw new Error("no group");
    return groupId;
  }

  private log(record: Omit<FaultRecord, "tMs" | "ns">): void {
    const line: FaultRecord = {
      tMs: Date.now() - this.started,
      ns: Number(process.hrtime.bigint()),
      ...record,
    };
    appendFileSync(this.faultsFile, `${JSON.stringify(line)}\n`);
    if (record.phase === "start" || record.phase === "done") {
      this.counts.set(record.kind, (this.counts.get(record.kind) ?? 0) + 1);
    }
    if (record.phase !== "end") {
      const target = record.target === undefined ? "" : ` ${record.target}`;
      const detail = record.detail === undefined ? "" : ` ${JSON.stringify(record.detail)}`;
      this.say(
        `[${(line.tMs / 1000).toFixed(1)}s] ${record.kind} ${record.phase}${target}${detail}`,
      );
    }
  }
}
