/**
 * Real `flotilla node` processes for integration tests: each node is `node --import tsx
 * packages/flotilla/src/cli.ts node …` spawned directly (never through the tsx wrapper, whose
 * SIGKILL would orphan the real node), with its LMDB directory in one temp dir. Nodes can be
 * SIGKILLed, SIGTERMed and restarted on the same data dir; their status is read over their
 * control subjects. Whatever is started is killed, and the temp dir removed, by `dispose()` and,
 * as a last resort, when this process exits or is told to stop.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { connect, type ConnectionOptions, type NatsConnection } from "@nats-io/transport-node";
import {
  CLIENT_PROTOCOL_VERSION,
  ClientSubjects,
  decodeReply,
  decodeWire,
  encodeWire,
} from "@flotilla/client";
import type { ReplicaStatus } from "@flotilla/runtime";
import { waitFor } from "@flotilla/testkit";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(REPO, "packages", "flotilla", "src", "cli.ts");
/** What is kept of each node's output (all runs): plenty for a test, still bounded. */
const LOG_KEPT_CHARS = 1024 * 1024;
/** What failure messages quote of it. */
const LOG_QUOTED_CHARS = 8 * 1024;
/** Bound on a SIGTERM stop (hand-over included) before SIGKILL. */
const TERM_TIMEOUT_MS = 10_000;
/** Bound on one control request. */
const CONTROL_TIMEOUT_MS = 2_000;

/** How the node processes are started. */
export interface NodeProcessesOptions {
  /** The nodes, e.g. `["n1", "n2", "n3"]`. */
  readonly nodeIds: readonly string[];
  /** The Flotilla cluster name (`--cluster`). */
  readonly cluster: string;
  /**
   * Each node's `--nats` list, in order. (The node should connect to the first; today it picks
   * one at random, as `flotilla node` leaves nats.js's `noRandomize` off.)
   */
  readonly natsServers: (nodeId: string) => readonly string[];
  /** `--shards NAME:N:KIND:M1,…` */
  readonly shards: string;
  /** `--tick-ms` (default 50). */
  readonly tickMs?: number;
  /** `--election-ticks` (default 10). */
  readonly electionTicks?: number;
  /** `--log-level` (default `warn`). */
  readonly logLevel?: string;
  /** More flags for one node (credentials, `--rebalance-ms`, …). */
  readonly extraFlags?: (nodeId: string) => readonly string[];
  /** The connection the fixture uses for control requests (status, state). */
  readonly controlNats: ConnectionOptions;
}

/** A node's answer to the control op `status`. */
export interface NodeStatus {
  readonly nodeId: string;
  readonly groups: readonly ReplicaStatus[];
  readonly stats: Record<string, unknown>;
}

/** A replica's state as the control op `state` returns it, the kv snapshot decoded. */
export interface ReplicaState {
  readonly appliedIndex: number;
  readonly entries: ReadonlyMap<string, unknown>;
}

/** How a node process ended: its exit code, or the signal that ended it. */
export interface NodeExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

interface RunningNode {
  readonly child: ChildProcess;
  readonly exited: Promise<NodeExit>;
}

/** Every child of every fixture in this process, for the exit handler. */
const allChildren = new Set<ChildProcess>();
const allDirs = new Set<string>();
let exitHandlersInstalled = false;

/**
 * N `flotilla node` processes.
 *
 * @example
 * await using nodes = await NodeProcesses.start({ nodeIds: ["n1", "n2", "n3"], cluster: "t",
 *   natsServers: () => [server.url], shards: "s:4:kv:n1,n2,n3", controlNats: { servers: server.url } });
 * await nodes.waitForLeaders(["s-0", "s-1", "s-2", "s-3"]);
 * await nodes.kill("n1", "SIGKILL");
 * nodes.start("n1"); // same data dir
 */
export class NodeProcesses implements AsyncDisposable {
  private readonly running = new Map<string, RunningNode>();
  private readonly logs = new Map<string, string>();
  /** Characters each node has written in all (more than `logs` keeps once it is cut). */
  private readonly logWritten = new Map<string, number>();
  private readonly subjects: ClientSubjects;
  private disposed = false;

  private constructor(
    private readonly options: NodeProcessesOptions,
    private readonly root: string,
    /** The fixture's own NATS connection (control requests). */
    readonly nc: NatsConnection,
  ) {
    this.subjects = new ClientSubjects(options.cluster);
  }

  /** Starts every node, and resolves once each answers `status` on its control subject. */
  static async start(options: NodeProcessesOptions): Promise<NodeProcesses> {
    installExitHandlers();
    const root = await mkdtemp(join(tmpdir(), "flotilla-nodes-"));
    allDirs.add(root);
    let nc: NatsConnection;
    try {
      nc = await connect({
        maxReconnectAttempts: -1,
        reconnectTimeWait: 100,
        timeout: 2_000,
        ...options.controlNats,
      });
    } catch (error) {
      await rm(root, { recursive: true, force: true });
      allDirs.delete(root);
      throw error;
    }
    const nodes = new NodeProcesses(options, root, nc);
    try {
      for (const nodeId of options.nodeIds) nodes.start(nodeId);
      await Promise.all(options.nodeIds.map((nodeId) => nodes.waitUntilServing(nodeId)));
    } catch (error) {
      await nodes.dispose();
      throw error;
    }
    return nodes;
  }

  /** The node ids. */
  get nodeIds(): readonly string[] {
    return this.options.nodeIds;
  }

  /** The ids of the nodes whose process is running. */
  liveNodeIds(): string[] {
    return this.options.nodeIds.filter((nodeId) => this.isRunning(nodeId));
  }

  /** True while `nodeId`'s process runs. */
  isRunning(nodeId: string): boolean {
    const child = this.running.get(nodeId)?.child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** The pid of `nodeId`'s process while it runs. */
  pid(nodeId: string): number | undefined {
    return this.isRunning(nodeId) ? this.running.get(nodeId)?.child.pid : undefined;
  }

  /** `nodeId`'s LMDB directory (`--data-dir`); open it only while the node is stopped. */
  dataDir(nodeId: string): string {
    return join(this.root, nodeId);
  }

  /** The end of what `nodeId` logged (stdout and stderr, every run), for failure messages. */
  logTail(nodeId: string): string {
    return (this.logs.get(nodeId) ?? "").slice(-LOG_QUOTED_CHARS);
  }

  /** A position in `nodeId`'s output, for {@link logSince}. */
  logMark(nodeId: string): number {
    return this.logWritten.get(nodeId) ?? 0;
  }

  /** What `nodeId` logged after `mark` (as much of it as is kept: the last 1 MiB). */
  logSince(nodeId: string, mark: number): string {
    const kept = this.logs.get(nodeId) ?? "";
    const after = this.logMark(nodeId) - mark;
    return after <= 0 ? "" : kept.slice(-after);
  }

  /** Spawns `nodeId` (again: same data dir). It must not be running. */
  start(nodeId: string): void {
    if (this.disposed) throw new Error("start after dispose");
    if (this.isRunning(nodeId)) throw new Error(`${nodeId} is already running`);
    const o = this.options;
    const args = [
      "--import",
      "tsx",
      "--conditions=@flotilla/source",
      CLI,
      "node",
      ...["--node-id", nodeId, "--cluster", o.cluster],
      ...["--nats", o.natsServers(nodeId).join(","), "--data-dir", this.dataDir(nodeId)],
      ...["--shards", o.shards, "--log-level", o.logLevel ?? "warn"],
      ...["--tick-ms", String(o.tickMs ?? 50), "--election-ticks", String(o.electionTicks ?? 10)],
      ...(o.extraFlags?.(nodeId) ?? []),
    ];
    const child = spawn(process.execPath, args, { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
    allChildren.add(child);
    const exited = new Promise<NodeExit>((resolve) => {
      child.once("exit", (code, signal) => {
        allChildren.delete(child);
        this.appendLog(nodeId, `\n[fixture] ${nodeId} exited: ${signal ?? code ?? "?"}\n`);
        resolve({ code, signal });
      });
      child.once("error", (error) => {
        allChildren.delete(child);
        this.appendLog(nodeId, `\n[fixture] ${nodeId} failed to spawn: ${error.message}\n`);
        resolve({ code: null, signal: null });
      });
    });
    const onOutput = (chunk: Buffer): void => this.appendLog(nodeId, chunk.toString("utf8"));
    child.stdout.on("data", onOutput);
    child.stderr.on("data", onOutput);
    this.running.set(nodeId, { child, exited });
  }

  /**
   * Stops `nodeId` with `signal` and resolves with how it ended, once it exited. A SIGTERM that
   * does not end the process within 10 s is followed by a SIGKILL. A node not running resolves
   * with how it ended, or undefined when it was never started.
   */
  async kill(nodeId: string, signal: "SIGKILL" | "SIGTERM"): Promise<NodeExit | undefined> {
    const node = this.running.get(nodeId);
    if (node === undefined) return undefined;
    if (this.isRunning(nodeId)) {
      node.child.kill(signal);
      const bound = new AbortController();
      const ended = await Promise.race([
        node.exited.then(() => true),
        delay(TERM_TIMEOUT_MS, false, { signal: bound.signal }).catch(() => true),
      ]);
      bound.abort();
      if (!ended) node.child.kill("SIGKILL");
    }
    const exit = await node.exited;
    this.running.delete(nodeId);
    return exit;
  }

  /** Stops and restarts `nodeId` on its data dir, and waits until it answers `status`. */
  async restart(nodeId: string, signal: "SIGKILL" | "SIGTERM" = "SIGKILL"): Promise<void> {
    await this.kill(nodeId, signal);
    this.start(nodeId);
    await this.waitUntilServing(nodeId);
  }

  /** Waits (bounded) until `nodeId` answers `status`; fails at once if it exits. */
  async waitUntilServing(nodeId: string, timeoutMs = 30_000): Promise<void> {
    await waitFor(
      async () => {
        if (!this.isRunning(nodeId)) {
          throw new Error(`${nodeId} is not running:\n${this.logTail(nodeId)}`);
        }
        await this.status(nodeId, 1_000);
        return true;
      },
      { description: `${nodeId} to answer status`, timeoutMs, intervalMs: 100 },
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${nodeId} log:\n${this.logTail(nodeId)}`, {
        cause: error,
      });
    });
  }

  /**
   * Sends a control request to `nodeId` and returns its result.
   *
   * @throws an Error carrying the reply's error code when the node refused it.
   */
  async control(
    nodeId: string,
    request: Record<string, unknown>,
    timeoutMs = CONTROL_TIMEOUT_MS,
  ): Promise<unknown> {
    const message = await this.nc.request(
      this.subjects.control(nodeId),
      encodeWire({ v: CLIENT_PROTOCOL_VERSION, ...request }),
      { timeout: timeoutMs },
    );
    const reply = decodeReply(message.data);
    if (reply["ok"] !== true) {
      throw new Error(`control ${String(request["op"])} on ${nodeId}: ${JSON.stringify(reply)}`);
    }
    return reply["result"];
  }

  /** `nodeId`'s status. */
  async status(nodeId: string, timeoutMs = CONTROL_TIMEOUT_MS): Promise<NodeStatus> {
    return (await this.control(nodeId, { op: "status" }, timeoutMs)) as NodeStatus;
  }

  /** The status of every running node that answers (those that do not are left out). */
  async statuses(): Promise<Map<string, NodeStatus>> {
    const answers = await Promise.all(
      this.liveNodeIds().map(async (nodeId) => {
        try {
          return [nodeId, await this.status(nodeId)] as const;
        } catch {
          return undefined;
        }
      }),
    );
    return new Map(answers.filter((answer) => answer !== undefined));
  }

  /** `groupId`'s replica state on `nodeId` (kv kind: the snapshot is `[key, value]` pairs). */
  async state(nodeId: string, groupId: string): Promise<ReplicaState> {
    const result = (await this.control(nodeId, { op: "state", groupId })) as {
      appliedIndex: number;
      snapshot: Uint8Array;
    };
    const pairs =
      result.snapshot.byteLength === 0 ? [] : (decodeWire(result.snapshot) as [string, unknown][]);
    return { appliedIndex: result.appliedIndex, entries: new Map(pairs) };
  }

  /**
   * The leader of each group as the running nodes see it: a group counts as led by `n` when `n`
   * reports itself leader and every other answering replica agrees on `n` and the term.
   */
  async leaders(): Promise<Map<string, string>> {
    const byGroup = new Map<string, ReplicaStatus[]>();
    for (const status of (await this.statuses()).values()) {
      for (const replica of status.groups) {
        byGroup.set(replica.groupId, [...(byGroup.get(replica.groupId) ?? []), replica]);
      }
    }
    const leaders = new Map<string, string>();
    for (const [groupId, replicas] of byGroup) {
      // A deposed leader that has not heard of the new term yet may still say "leader".
      const leader = replicas
        .filter((replica) => replica.role === "leader")
        .sort((a, b) => b.term - a.term)[0];
      if (leader === undefined) continue;
      const leaderId = this.leaderIdOf(leader, replicas);
      if (leaderId !== undefined) leaders.set(groupId, leaderId);
    }
    return leaders;
  }

  /** Waits (bounded) until each of `groupIds` has a leader among the running nodes. */
  async waitForLeaders(groupIds: readonly string[], timeoutMs = 30_000): Promise<void> {
    let missing: string[] = [];
    await waitFor(
      async () => {
        const leaders = await this.leaders();
        const live = new Set(this.liveNodeIds());
        missing = groupIds.filter((groupId) => !live.has(leaders.get(groupId) ?? ""));
        return missing.length === 0;
      },
      { description: "a leader for every group", timeoutMs, intervalMs: 200 },
    ).catch((error: unknown) => {
      throw new Error(`no leader for ${missing.join(", ")}`, { cause: error });
    });
  }

  /**
   * Waits (bounded) until every running node's replica of each group has applied the highest
   * commit index any replica reports, and every running node answered.
   */
  async waitForCatchUp(groupIds: readonly string[], timeoutMs = 30_000): Promise<void> {
    let behind = "";
    await waitFor(
      async () => {
        const statuses = await this.statuses();
        if (statuses.size < this.liveNodeIds().length) return false;
        const replicas = [...statuses.values()].flatMap((status) => status.groups);
        const lagging = groupIds.flatMap((groupId) => {
          const of = replicas.filter((replica) => replica.groupId === groupId);
          const commit = Math.max(0, ...of.map((replica) => replica.commitIndex));
          const late = of.filter((replica) => replica.appliedIndex < commit);
          return of.length < statuses.size || late.length > 0 ? [groupId] : [];
        });
        behind = lagging.join(", ");
        return lagging.length === 0;
      },
      {
        description: "every replica to apply its group's commit index",
        timeoutMs,
        intervalMs: 200,
      },
    ).catch((error: unknown) => {
      throw new Error(`replicas behind in ${behind}`, { cause: error });
    });
  }

  /** Kills every node (SIGKILL), closes the control connection, removes the temp dir. */
  async dispose(): Promise<void> {
    this.disposed = true;
    await Promise.all([...this.running.keys()].map((nodeId) => this.kill(nodeId, "SIGKILL")));
    await this.nc.close().catch(() => undefined);
    await rm(this.root, { recursive: true, force: true });
    allDirs.delete(this.root);
  }

  /** `await using nodes = await NodeProcesses.start(…)` disposes at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  /** A leader's id, when no answering replica of a term as high follows another leader. */
  private leaderIdOf(
    leader: ReplicaStatus,
    replicas: readonly ReplicaStatus[],
  ): string | undefined {
    const leaderId = leader.leaderId;
    const agreed = replicas.every(
      (replica) =>
        replica === leader ||
        replica.term < leader.term ||
        (replica.term === leader.term && replica.leaderId === leaderId),
    );
    return agreed ? leaderId : undefined;
  }

  private appendLog(nodeId: string, text: string): void {
    this.logWritten.set(nodeId, this.logMark(nodeId) + text.length);
    this.logs.set(nodeId, ((this.logs.get(nodeId) ?? "") + text).slice(-LOG_KEPT_CHARS));
  }
}

/**
 * SIGKILLs every node and removes every temp dir when this process exits or is told to stop;
 * a signal handler re-raises the signal once no other handler is left (the testkit does the same).
 */
function installExitHandlers(): void {
  if (exitHandlersInstalled) return;
  exitHandlersInstalled = true;
  const killAll = (): void => {
    for (const child of allChildren) {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    }
    allChildren.clear();
    for (const dir of allDirs) rmSync(dir, { recursive: true, force: true });
    allDirs.clear();
  };
  process.once("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const onSignal = (): void => {
      killAll();
      process.removeListener(signal, onSignal);
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}
