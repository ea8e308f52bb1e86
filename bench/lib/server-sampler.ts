/**
 * CPU and memory of a system's server processes (Flotilla nodes and their nats-server, etcd
 * members, JetStream servers) over a window, read from `/proc/<pid>/stat`: utime + stime of every
 * thread at the window's start and end, and the summed resident set sampled on a fixed period.
 * The load generator is not among them: its CPU is reported apart.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** What the servers used over one window. */
export interface ServerUsage {
  readonly wallMs: number;
  /** utime + stime summed over the processes. */
  readonly cpuMs: number;
  /** The largest summed resident set sampled, in MB (2^20 bytes). */
  readonly rssMbMax: number;
  /** The largest resident set of one process, in MB. */
  readonly rssMbMaxPerProcess: number;
}

/** How often resident sets are sampled. */
export const SERVER_RSS_SAMPLE_MS = 100;

const PAGE_BYTES = 4096;
const BYTES_PER_MB = 1024 * 1024;

let clockTicksPerSecond: number | undefined;

/** `getconf CLK_TCK`: the unit of utime and stime (100 on Linux almost always). */
function ticksPerSecond(): number {
  if (clockTicksPerSecond === undefined) {
    try {
      clockTicksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }));
    } catch {
      clockTicksPerSecond = 100;
    }
    if (!(clockTicksPerSecond > 0)) clockTicksPerSecond = 100;
  }
  return clockTicksPerSecond;
}

/** utime + stime (ms) and RSS (bytes) of `pid`; undefined once it is gone. */
export function procStat(pid: number): { cpuMs: number; rssBytes: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is parenthesised and may hold spaces: split after it.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state): utime is field 14, stime 15, rss 24.
    const ticks = Number(fields[11]) + Number(fields[12]);
    return {
      cpuMs: (ticks / ticksPerSecond()) * 1000,
      rssBytes: Number(fields[21]) * PAGE_BYTES,
    };
  } catch {
    return undefined;
  }
}

/**
 * Measures the processes `pids` over one window: `start()`, then `stop()`.
 *
 * @example
 * const sampler = new ServerSampler([nodePid, natsPid]);
 * sampler.start();
 * // … the window …
 * const { cpuMs, rssMbMax } = sampler.stop();
 */
export class ServerSampler {
  private startCpuMs = new Map<number, number>();
  private startWallMs = 0;
  private rssBytesMax = 0;
  private rssBytesMaxPerProcess = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly pids: readonly number[]) {}

  start(): void {
    this.startWallMs = performance.now();
    for (const pid of this.pids) this.startCpuMs.set(pid, procStat(pid)?.cpuMs ?? 0);
    this.sample();
    this.timer = setInterval(() => this.sample(), SERVER_RSS_SAMPLE_MS);
    this.timer.unref();
  }

  stop(): ServerUsage {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
    let cpuMs = 0;
    for (const pid of this.pids) {
      const end = procStat(pid)?.cpuMs;
      if (end !== undefined) cpuMs += end - (this.startCpuMs.get(pid) ?? end);
    }
    return {
      wallMs: performance.now() - this.startWallMs,
      cpuMs,
      rssMbMax: this.rssBytesMax / BYTES_PER_MB,
      rssMbMaxPerProcess: this.rssBytesMaxPerProcess / BYTES_PER_MB,
    };
  }

  private sample(): void {
    let total = 0;
    for (const pid of this.pids) {
      const rss = procStat(pid)?.rssBytes ?? 0;
      total += rss;
      this.rssBytesMaxPerProcess = Math.max(this.rssBytesMaxPerProcess, rss);
    }
    this.rssBytesMax = Math.max(this.rssBytesMax, total);
  }
}
