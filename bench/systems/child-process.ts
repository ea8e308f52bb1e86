/**
 * A server process the harness owns: spawned with its stderr kept (the tail, for failure
 * messages), stopped with SIGTERM and then SIGKILL after a bound, and killed if the harness
 * itself exits first, so no run leaves a process behind.
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";

const LOG_TAIL_CHARS = 4_000;

/** A spawned server process. */
export class OwnedProcess {
  private log = "";
  private readonly exited: Promise<void>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer): void => {
      this.log = (this.log + chunk.toString("utf8")).slice(-LOG_TAIL_CHARS);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    this.exited = new Promise((resolve) => {
      child.once("exit", () => resolve());
      child.once("error", (error) => {
        keep(Buffer.from(`spawn failed: ${error.message}\n`));
        resolve();
      });
    });
    // If the harness dies, its servers must not outlive it.
    const reap = (): void => {
      child.kill("SIGKILL");
    };
    process.once("exit", reap);
    void this.exited.then(() => process.removeListener("exit", reap));
  }

  /** Spawns `command` with stdout and stderr piped into the kept tail. */
  static spawn(
    name: string,
    command: string,
    args: readonly string[],
    options: SpawnOptions = {},
  ): OwnedProcess {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    return new OwnedProcess(name, child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** True until the process exits. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last output, for failure messages. */
  logTail(): string {
    return this.log;
  }

  /** SIGKILL; resolves once the process is gone. */
  async kill(): Promise<void> {
    if (this.child.pid === undefined || !this.running) return;
    this.child.kill("SIGKILL");
    await this.exited;
  }

  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves once the process is gone. */
  async stop(timeoutMs = 5_000): Promise<void> {
    if (this.child.pid === undefined || !this.running) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}
