/**
 * The disk's durable-write rate, measured where the benchmark's LMDB files live: write a small
 * record and `fdatasync` it, a fixed number of times. Every durable commit pays at least one such
 * flush, so this rate is the ceiling one-record-per-sync designs hit (REFERENCE.md: ~2.5 k/s).
 */
import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { nearestRankPercentile } from "./latency-histogram.js";
import { roundTo } from "./round-to.js";

/** Flushes per probe (the brief's 200: about 0.1–0.5 s on this machine kind). */
export const FSYNC_PROBE_ROUNDS = 200;

/** Bytes written before each flush. */
const RECORD_BYTES = 128;

/** What the probe measured. */
export interface FsyncProbeResult {
  readonly rounds: number;
  /** Flushes per second over the whole probe. */
  readonly perSecond: number;
  /** Median and 99th percentile of one write + fdatasync, in ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/**
 * Appends {@link FSYNC_PROBE_ROUNDS} records to a scratch file in `dir`, each followed by
 * `fdatasync`, then removes the file. Synchronous on purpose: nothing else runs meanwhile.
 *
 * @example
 * const { perSecond } = probeFsync(tempDir); // e.g. 2,400
 */
export function probeFsync(dir: string, rounds = FSYNC_PROBE_ROUNDS): FsyncProbeResult {
  const path = join(dir, "fsync-probe.bin");
  const record = new Uint8Array(RECORD_BYTES).fill(0x5a);
  const samplesMs: number[] = [];
  const fd = openSync(path, "w");
  try {
    const startMs = performance.now();
    for (let i = 0; i < rounds; i++) {
      const beforeMs = performance.now();
      writeSync(fd, record);
      fdatasyncSync(fd);
      samplesMs.push(performance.now() - beforeMs);
    }
    const elapsedMs = performance.now() - startMs;
    samplesMs.sort((a, b) => a - b);
    return {
      rounds,
      perSecond: Math.round((rounds / elapsedMs) * 1000),
      p50Ms: roundTo(nearestRankPercentile(samplesMs, 0.5), 3),
      p99Ms: roundTo(nearestRankPercentile(samplesMs, 0.99), 3),
    };
  } finally {
    closeSync(fd);
    rmSync(path, { force: true });
  }
}
