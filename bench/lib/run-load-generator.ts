/**
 * Runs one load-generator process against a running cluster and measures the cluster's server
 * processes over exactly the generator's window: the sampler starts when the generator prints
 * `window-start` and stops at `window-end` (a pipe's delay, well under a millisecond, off an
 * 8-second window). The process is killed past a bound, so a hung system cannot hang the run.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { LoadEvent, LoadPlan, LoadResult } from "./load-target.js";
import { ServerSampler, type ServerUsage } from "./server-sampler.js";

const GENERATOR = fileURLToPath(new URL("../load-generator.ts", import.meta.url));
const REPO = fileURLToPath(new URL("../..", import.meta.url));
const STDERR_TAIL_CHARS = 2_000;

/** What one generator run gave. */
export interface GeneratorOutcome {
  readonly result: LoadResult;
  readonly servers: ServerUsage;
}

/** Spawns the generator with `plan`, measures `serverPids` over its window. */
export async function runLoadGenerator(
  plan: LoadPlan,
  serverPids: readonly number[],
): Promise<GeneratorOutcome> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--conditions=@flotilla/source", GENERATOR, JSON.stringify(plan)],
    { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] },
  );
  const reap = (): void => {
    child.kill("SIGKILL");
  };
  process.once("exit", reap);
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-STDERR_TAIL_CHARS);
  });
  const boundMs =
    plan.readyTimeoutMs + plan.warmupMs + plan.windowMs + plan.drainTimeoutMs + 20_000;
  const timer = setTimeout(() => child.kill("SIGKILL"), boundMs);
  const sampler = new ServerSampler(serverPids);
  let servers: ServerUsage | undefined;
  let result: LoadResult | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.once("error", () => resolve(-1));
  });
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    let event: LoadEvent;
    try {
      event = JSON.parse(line) as LoadEvent;
    } catch {
      continue; // Not ours (a library's console output).
    }
    if (event.event === "window-start") sampler.start();
    else if (event.event === "window-end") servers = sampler.stop();
    else if (event.event === "result") result = event;
  }
  const code = await exited;
  clearTimeout(timer);
  process.removeListener("exit", reap);
  if (result === undefined || servers === undefined) {
    throw new Error(
      `load generator exited with ${code ?? "a signal"} before its result: ${stderr.trim().slice(-600)}`,
    );
  }
  return { result, servers };
}
