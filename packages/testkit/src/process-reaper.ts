/**
 * The last line of defence against leaked server processes: every child the testkit starts is
 * registered here until it exits, and is SIGKILLed when this process exits or is told to stop
 * (SIGINT, SIGTERM, SIGHUP), even when a test forgot to stop it; then the temporary directories
 * registered with it are removed. Module-level state on purpose:
 * exit handlers are process-wide, so the registry of what they must kill is too.
 */
import type { ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";

const children = new Set<ChildProcess>();
const directories = new Set<string>();
let installed = false;
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** Registers `child` until it exits; installs the process handlers on first use. */
export function reapOnExit(child: ChildProcess): void {
  // A child that failed to spawn (ENOENT) has no pid and never emits "exit": nothing to reap.
  if (child.pid === undefined) return;
  install();
  children.add(child);
  child.once("exit", () => children.delete(child));
}

/** Removes `dir` when this process exits, unless {@link keepOnExit} was called for it. */
export function removeOnExit(dir: string): void {
  install();
  directories.add(dir);
}

/** Forgets a directory registered with {@link removeOnExit} (its owner removed it). */
export function keepOnExit(dir: string): void {
  directories.delete(dir);
}

/** Children still registered (started and not yet exited). */
export function liveChildren(): number {
  return children.size;
}

function killAll(): void {
  for (const child of children) {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone: nothing to do while exiting.
    }
  }
  children.clear();
  for (const dir of directories) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Best effort while exiting.
    }
  }
  directories.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once("exit", killAll);
  for (const signal of SIGNALS) {
    const onSignal = (): void => {
      killAll();
      process.removeListener(signal, onSignal);
      // Keep the default behaviour (terminate) unless someone else handles the signal too.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}
