/**
 * The chaos runner's own children (the sink, the client processes): each is SIGKILLed when the
 * runner disposes it, exits, or is told to stop (SIGINT, SIGTERM, SIGHUP). The signal is then
 * raised again once no other handler is left, as the testkit's reaper does, so the runner still
 * ends as the signal says.
 */
import type { ChildProcess } from "node:child_process";
import { setTimeout as delay } from "node:timers/promises";

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** Kills registered children on exit paths. */
export class ChildReaper {
  private readonly children = new Set<ChildProcess>();

  constructor() {
    process.once("exit", () => this.killAll());
    for (const signal of SIGNALS) {
      const onSignal = (): void => {
        this.killAll();
        process.removeListener(signal, onSignal);
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      };
      process.on(signal, onSignal);
    }
  }

  /** Registers `child` until it exits. */
  add(child: ChildProcess): void {
    if (child.pid === undefined) return;
    this.children.add(child);
    child.once("exit", () => this.children.delete(child));
  }

  /** SIGKILLs every registered child (a stopped one too: SIGKILL needs no SIGCONT). */
  killAll(): void {
    for (const child of this.children) {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    }
    this.children.clear();
  }
}

/**
 * Resolves true once `child` has exited, or false after `timeoutMs` (it is then still running).
 */
export async function exitWithin(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  const bound = new AbortController();
  const exited = new Promise<boolean>((resolve) => child.once("exit", () => resolve(true)));
  const result = await Promise.race([
    exited,
    delay(timeoutMs, false, { signal: bound.signal }).catch(() => true),
  ]);
  bound.abort();
  return result;
}
