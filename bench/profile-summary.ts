/**
 * Summarises `node --cpu-prof` profiles (written by `npm run bench -- --cpu-prof DIR`): the
 * functions with the most self time, and the same time grouped by source file, so "what
 * dominates" is one glance. Idle time (the `(idle)` node) and the profiler's own `(program)`
 * and `(garbage collector)` entries are kept and shown, since GC is often the answer.
 *
 *   npx tsx bench/profile-summary.ts DIR_OR_FILE… [--top 15] [--sum] [--all]
 *   #   --sum: one table for all profiles (the 3 nodes); --all: worker threads' profiles too
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Self time in microseconds per key, over every profile given. */
export function selfTimes(
  profile: CpuProfile,
  keyOf: (node: ProfileNode) => string,
): Map<string, number> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i] ?? -1);
    if (node === undefined) continue;
    const key = keyOf(node);
    // The delta before sample i is the time that sample stands for.
    totals.set(key, (totals.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  return totals;
}

function files(paths: readonly string[]): string[] {
  return paths.flatMap((path) =>
    statSync(path).isDirectory()
      ? readdirSync(path, { recursive: true })
          .map(String)
          .filter((name) => name.endsWith(".cpuprofile"))
          .map((name) => join(path, name))
      : [path],
  );
}

function shortUrl(url: string): string {
  const path = url.replace(/^file:\/\//, "");
  const inModules = path.lastIndexOf("node_modules/");
  if (inModules >= 0) return path.slice(inModules + "node_modules/".length);
  return path.startsWith("/") ? relative(process.cwd(), path) : path;
}

/**
 * The profiles as one: nodes renumbered apart, samples and deltas concatenated, wall time
 * summed — so self times add up across the processes.
 */
function sumProfiles(profiles: readonly CpuProfile[]): CpuProfile {
  const nodes: ProfileNode[] = [];
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  let wall = 0;
  let offset = 0;
  for (const profile of profiles) {
    let maxId = 0;
    for (const node of profile.nodes) {
      nodes.push({ ...node, id: node.id + offset });
      maxId = Math.max(maxId, node.id);
    }
    for (const sample of profile.samples) samples.push(sample + offset);
    timeDeltas.push(...profile.timeDeltas);
    wall += profile.endTime - profile.startTime;
    offset += maxId + 1;
  }
  return { nodes, samples, timeDeltas, startTime: 0, endTime: wall };
}

function main(): void {
  const { values, positionals } = parseArgs({
    options: {
      top: { type: "string", default: "15" },
      // One table for all the profiles given (the three nodes of a run), not one each.
      sum: { type: "boolean", default: false },
      // Worker threads' profiles too (tsx's loader thread), not only each main thread's.
      all: { type: "boolean", default: false },
    },
    allowPositionals: true,
  });
  const top = Number(values.top);
  const paths = files(positionals).filter((path) => values.all || path.includes(".0.0"));
  const profiles = paths.map((path) => JSON.parse(readFileSync(path, "utf8")) as CpuProfile);
  const runs: [string, CpuProfile][] = values.sum
    ? [[`${paths.length} profiles summed`, sumProfiles(profiles)]]
    : paths.map((path, i) => [path, profiles[i] as CpuProfile]);
  for (const [file, profile] of runs) {
    const wallUs = profile.endTime - profile.startTime;
    const byFunction = selfTimes(profile, (node) => {
      const frame = node.callFrame;
      const name = frame.functionName === "" ? "(anonymous)" : frame.functionName;
      return frame.url === "" ? name : `${name} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
    });
    const byFile = selfTimes(profile, (node) =>
      node.callFrame.url === "" ? node.callFrame.functionName : shortUrl(node.callFrame.url),
    );
    const idleUs = byFunction.get("(idle)") ?? 0;
    const busyUs = wallUs - idleUs;
    const line = (entries: Map<string, number>, heading: string): void => {
      process.stdout.write(`  ${heading}\n`);
      const sorted = [...entries].filter(([key]) => key !== "(idle)").sort((a, b) => b[1] - a[1]);
      for (const [key, us] of sorted.slice(0, top)) {
        const share = ((us / busyUs) * 100).toFixed(1).padStart(5);
        process.stdout.write(`    ${share}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${key}\n`);
      }
    };
    process.stdout.write(
      `${file}: ${(wallUs / 1e6).toFixed(1)} s profiled, ${(busyUs / 1e6).toFixed(1)} s busy ` +
        `(${((busyUs / wallUs) * 100).toFixed(0)} %)\n`,
    );
    line(byFunction, "self time by function (share of busy time)");
    line(byFile, "self time by file");
  }
}

main();
