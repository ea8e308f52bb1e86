/**
 * CPU and memory of this process over a measurement window: CPU from `process.cpuUsage()`
 * (user + system, every thread — LMDB's writer thread included), resident memory sampled from
 * `/proc/self/stat` on a fixed period (the window's peak; `resourceUsage().maxRSS` is the
 * lifetime peak and cannot be reset), context switches from `process.resourceUsage()`, and the
 * event loop's utilization — every node of an in-process cluster shares that one loop, so near 1
 * it, not the disk, is the bottleneck.
 */
import { readFileSync } from "node:fs";
import { performance, type EventLoopUtilization } from "node:perf_hooks";

/** What a window cost the process. */
export interface ResourceUsage {
  /** Wall-clock length of the window. */
  readonly wallMs: number;
  /** User + system CPU time of the whole process over the window. */
  readonly cpuMs: number;
  /** `cpuMs / wallMs` × 100: 100 means one core busy all the time (this machine has few). */
  readonly cpuPercentOfOneCore: number;
  /** Resident set size at the start of the window, in MB (2^20 bytes). */
  readonly rssMbStart: number;
  /** The largest resident set size sampled during the window, in MB. */
  readonly rssMbMax: number;
  /** Context switches over the window (voluntary: waiting for I/O or a lock). */
  readonly voluntaryContextSwitches: number;
  readonly involuntaryContextSwitches: number;
  /** Fraction of the window the event loop spent running callbacks (0–1). */
  readonly eventLoopUtilization: number;
}

/** How often the resident set size is sampled (it is only read, so sampling is cheap). */
export const RSS_SAMPLE_INTERVAL_MS = 50;

const BYTES_PER_MB = 1024 * 1024;
/** Linux x86-64 and arm64 default page size; `/proc/self/stat` counts RSS in pages. */
const PAGE_BYTES = 4096;

/**
 * Measures one window: `start()`, run the work, `stop()`. One window per sampler.
 *
 * @example
 * const sampler = new ResourceSampler();
 * sampler.start();
 * await work();
 * const usage = sampler.stop(); // { cpuMs, cpuPercentOfOneCore, rssMbMax, ... }
 */
export class ResourceSampler {
  private startWallMs = 0;
  private startCpu: NodeJS.CpuUsage | undefined;
  private startUsage: NodeJS.ResourceUsage | undefined;
  private startLoop: EventLoopUtilization | undefined;
  private rssBytesStart = 0;
  private rssBytesMax = 0;
  private timer: NodeJS.Timeout | undefined;

  /** Starts the window and the periodic RSS sampling. */
  start(): void {
    if (this.startCpu !== undefined) throw new Error("a ResourceSampler measures one window");
    this.rssBytesStart = residentSetBytes();
    this.rssBytesMax = this.rssBytesStart;
    this.timer = setInterval(() => this.sample(), RSS_SAMPLE_INTERVAL_MS);
    // The sampler must never keep a finished benchmark alive.
    this.timer.unref();
    this.startUsage = process.resourceUsage();
    this.startLoop = performance.eventLoopUtilization();
    this.startCpu = process.cpuUsage();
    this.startWallMs = performance.now();
  }

  /** Ends the window and returns what it cost. */
  stop(): ResourceUsage {
    const wallMs = performance.now() - this.startWallMs;
    const cpu = process.cpuUsage(this.startCpu);
    const usage = process.resourceUsage();
    const loop = performance.eventLoopUtilization(this.startLoop);
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
    const cpuMs = (cpu.user + cpu.system) / 1000;
    return {
      wallMs,
      cpuMs,
      cpuPercentOfOneCore: wallMs > 0 ? (cpuMs / wallMs) * 100 : Number.NaN,
      rssMbStart: this.rssBytesStart / BYTES_PER_MB,
      rssMbMax: this.rssBytesMax / BYTES_PER_MB,
      voluntaryContextSwitches:
        usage.voluntaryContextSwitches - (this.startUsage?.voluntaryContextSwitches ?? 0),
      involuntaryContextSwitches:
        usage.involuntaryContextSwitches - (this.startUsage?.involuntaryContextSwitches ?? 0),
      eventLoopUtilization: loop.utilization,
    };
  }

  private sample(): void {
    this.rssBytesMax = Math.max(this.rssBytesMax, residentSetBytes());
  }
}

/**
 * This process's resident set size in bytes: field 24 of `/proc/self/stat` (pages), or
 * `process.memoryUsage.rss()` where there is no procfs.
 */
export function residentSetBytes(): number {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    // The command name (field 2) is parenthesised and may hold spaces: split after it.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state), so field 24 (rss) is fields[21].
    const pages = Number(fields[21]);
    if (Number.isFinite(pages) && pages > 0) return pages * PAGE_BYTES;
  } catch {
    // No procfs (not Linux): fall through.
  }
  return process.memoryUsage.rss();
}
