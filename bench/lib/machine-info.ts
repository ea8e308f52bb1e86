/**
 * What a result file says about where it was measured: cores, CPU model, kernel, Node and LMDB
 * versions, the load average when the run started (this machine is shared), the commit measured
 * and the disk's fsync rate. Figures from different machines are compared only through these.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import { join } from "node:path";
import type { FsyncProbeResult } from "./fsync-probe.js";

/** The `machine` object of a result file. */
export interface MachineInfo {
  readonly cores: number;
  readonly cpuModel: string;
  readonly memoryGb: number;
  readonly kernel: string;
  readonly platform: string;
  readonly nodeVersion: string;
  readonly lmdbVersion: string | null;
  /** 1-, 5- and 15-minute load averages when the run started. */
  readonly loadAverageAtStart: readonly number[];
  /** The commit measured (`git rev-parse HEAD`) and whether the tree had local changes. */
  readonly gitCommit: string | null;
  readonly gitDirty: boolean | null;
  /** write + fdatasync in the benchmark's temp dir, measured at start. */
  readonly fsync: FsyncProbeResult;
}

/** Describes this machine; `fsync` comes from {@link probeFsync} in the benchmark's temp dir. */
export function machineInfo(fsync: FsyncProbeResult): MachineInfo {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    memoryGb: round(os.totalmem() / 1024 ** 3, 1),
    kernel: os.release(),
    platform: `${os.platform()} ${os.arch()}`,
    nodeVersion: process.version,
    lmdbVersion: lmdbVersion(),
    loadAverageAtStart: os.loadavg().map((load) => round(load, 2)),
    gitCommit: git(["rev-parse", "HEAD"]),
    gitDirty: gitDirty(),
    fsync,
  };
}

function lmdbVersion(): string | null {
  // lmdb as the storage package resolves it (its manifest is not an export, so look it up on
  // the resolution paths rather than through require.resolve).
  const fromStorage = createRequire(
    new URL("../../packages/storage-lmdb/package.json", import.meta.url),
  );
  for (const dir of fromStorage.resolve.paths("lmdb") ?? []) {
    const manifestPath = join(dir, "lmdb", "package.json");
    if (!existsSync(manifestPath)) continue;
    try {
      const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { version?: unknown };
      return typeof manifest.version === "string" ? manifest.version : null;
    } catch {
      return null;
    }
  }
  return null;
}

function git(args: readonly string[]): string | null {
  try {
    return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
      .trim()
      .slice(0, 200);
  } catch {
    return null;
  }
}

function gitDirty(): boolean | null {
  const status = git(["status", "--porcelain"]);
  return status === null ? null : status.length > 0;
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
