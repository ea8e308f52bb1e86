/**
 * The chaos run's client processes, seen from the runner: forks them with their plans, follows
 * their progress, stops their workload and has their subscribers read to the end marker. Each
 * step is bounded; a process that fails or does not answer fails the run with its stderr.
 */
import { fork, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { waitFor } from "@flotilla/testkit";
import { exitWithin, type ChildReaper } from "./child-reaper.js";
import { REPO, TSX_EXEC_ARGV } from "./chaos-cluster.js";
import type { ClientProcessConfig, FromClientProcess, ToClientProcess } from "./client-protocol.js";
import type { ProcessPlan } from "./workload-plan.js";

const CLIENT_SCRIPT = fileURLToPath(new URL("client-process.ts", import.meta.url));

interface Member {
  readonly child: ChildProcess;
  readonly received: FromClientProcess[];
  ops: number;
  acked: number;
}

/** What the fleet needs besides the plans. */
export interface FleetOptions {
  readonly cluster: string;
  readonly natsUrls: readonly string[];
  readonly seed: number;
  readonly opTimeoutMs: number;
  readonly out: string;
}

/** The client processes of a run. */
export class ClientFleet {
  private constructor(private readonly members: readonly Member[]) {}

  /** Forks one process per plan and waits (bounded) until each is connected and running. */
  static async start(
    plans: readonly ProcessPlan[],
    options: FleetOptions,
    reaper: ChildReaper,
  ): Promise<ClientFleet> {
    const members = plans.map((plan): Member => {
      const child = fork(CLIENT_SCRIPT, [], {
        cwd: REPO,
        execArgv: [...TSX_EXEC_ARGV],
        stdio: ["ignore", "ignore", "pipe", "ipc"],
      });
      reaper.add(child);
      child.stderr?.pipe(
        createWriteStream(join(options.out, `client-p${plan.processIndex}.log`), { flags: "w" }),
      );
      const member: Member = { child, received: [], ops: 0, acked: 0 };
      child.on("message", (message: FromClientProcess) => {
        if (message.type === "progress" || message.type === "workload-done") {
          member.ops = message.ops;
          member.acked = message.acked;
        }
        member.received.push(message);
      });
      const config: ClientProcessConfig = {
        cluster: options.cluster,
        natsUrls: options.natsUrls,
        seed: options.seed,
        plan,
        opTimeoutMs: options.opTimeoutMs,
        historyFile: join(options.out, `history-p${plan.processIndex}.jsonl`),
        streamsFile: join(options.out, `streams-p${plan.processIndex}.json`),
      };
      send(child, { type: "start", config });
      return member;
    });
    const fleet = new ClientFleet(members);
    await fleet.awaitAll("ready", 60_000, "every client process to connect");
    return fleet;
  }

  /** Operations recorded and acknowledged so far, over every process. */
  progress(): { ops: number; acked: number } {
    return this.members.reduce(
      (sum, member) => ({ ops: sum.ops + member.ops, acked: sum.acked + member.acked }),
      { ops: 0, acked: 0 },
    );
  }

  /** Stops the workload and waits until every process wrote its history (bounded). */
  async stopWorkload(boundMs: number): Promise<void> {
    for (const member of this.members) send(member.child, { type: "stop-workload" });
    await this.awaitAll("workload-done", boundMs, "every client to finish its operations");
  }

  /**
   * Has every subscriber read to its group's end marker (bounded by `timeoutMs`), then waits for
   * the processes to write their streams and exit. Returns the subscribers that did not finish.
   */
  async finishStreams(timeoutMs: number): Promise<string[]> {
    for (const member of this.members) send(member.child, { type: "finish-streams", timeoutMs });
    await this.awaitAll("streams-done", timeoutMs + 30_000, "every subscriber to write its stream");
    await Promise.all(this.members.map((member) => exitWithin(member.child, 10_000)));
    return this.members.flatMap((member) =>
      member.received.flatMap((message) =>
        message.type === "streams-done" ? message.unfinished : [],
      ),
    );
  }

  /** SIGKILLs every process still running. */
  dispose(): void {
    for (const member of this.members) member.child.kill("SIGKILL");
  }

  private async awaitAll(
    type: FromClientProcess["type"],
    timeoutMs: number,
    description: string,
  ): Promise<void> {
    await waitFor(
      () => {
        for (const member of this.members) {
          const failed = member.received.find((message) => message.type === "failed");
          if (failed?.type === "failed")
            throw new Error(`a client process failed: ${failed.error}`);
          if (member.child.exitCode !== null && !member.received.some((m) => m.type === type)) {
            throw new Error(`a client process exited (${member.child.exitCode}) before ${type}`);
          }
        }
        return this.members.every((member) => member.received.some((m) => m.type === type));
      },
      { description, timeoutMs, intervalMs: 50 },
    );
  }
}

function send(child: ChildProcess, message: ToClientProcess): void {
  child.send(message);
}
