/**
 * The chaos run's verdict: what failed (if anything), and the last line of its output,
 * `chaos: ops=N acked=N lost=0 linearizable=yes incomplete=0 streams=ok diverged=0 fenced=ok
 * stale-rejected=N faults=K kinds=k1,k2,...`.
 */
import type { ChaosArgs } from "./chaos-args.js";
import type { LinearizabilityOutcome } from "./check-linearizability.js";
import type { ConvergenceResult } from "./convergence-check.js";
import type { FencingCheckResult } from "./fencing-check.js";
import type { LostWrite } from "./lost-writes-check.js";
import type { StreamCheckResult } from "./stream-check.js";

/** Everything the checks found. */
export interface ChaosSummary {
  readonly args: ChaosArgs;
  readonly ops: number;
  readonly acked: number;
  readonly lost: readonly LostWrite[];
  readonly linearizability: LinearizabilityOutcome;
  readonly streams: StreamCheckResult;
  readonly convergence: ConvergenceResult;
  readonly fencing: FencingCheckResult;
  /** Whether the nemesis paused a node leading some group past the election timeout. */
  readonly pausedALeader: boolean;
  /** Faults applied, by kind. */
  readonly faults: ReadonlyMap<string, number>;
  /** The fault kinds the nemesis applied (the keys of `faults`, sorted). */
  readonly kinds: readonly string[];
  /** Why the quiet period failed (no leader, replicas behind), if it did. */
  readonly quietProblem?: string;
}

/** Why the run failed: one line per violation (empty when it passed). */
export function runFailed(summary: ChaosSummary): string[] {
  const failures: string[] = [];
  const { linearizability: lin, fencing } = summary;
  if (summary.quietProblem !== undefined) failures.push(summary.quietProblem);
  if (summary.lost.length > 0) {
    failures.push(
      `lost ${summary.lost.length} acknowledged writes: ` +
        summary.lost
          .slice(0, 5)
          .map((w) => `${w.op} ${w.key}=${w.value}`)
          .join(", "),
    );
  }
  if (lin.verdict !== "linearizable") {
    failures.push(
      `linearizability: ${lin.verdict}${lin.failure === undefined ? "" : ` ${lin.failure}`}`,
    );
  }
  if (lin.incompleteKeys.length > 0)
    failures.push(`incomplete keys: ${lin.incompleteKeys.join(", ")}`);
  failures.push(...summary.streams.problems.map((p) => `stream: ${p}`));
  failures.push(...summary.convergence.problems.map((p) => `convergence: ${p}`));
  failures.push(...fencing.problems.map((p) => `fencing: ${p}`));
  if (fencing.acts === 0) {
    failures.push("fencing: the sink received no act (are leader companions running?)");
  }
  if (summary.pausedALeader && fencing.staleRejected === 0) {
    failures.push(
      "fencing: a leader was paused past the election timeout, yet the sink refused no stale " +
        "act: the fencing path was not exercised (or the paused leader never acted after its " +
        "pause) — this run proves nothing about fencing",
    );
  }
  return failures;
}

/** The last line. */
export function formatSummary(summary: ChaosSummary): string {
  const { linearizability: lin } = summary;
  const fenced = summary.fencing.ok && !runFailed(summary).some((f) => f.startsWith("fencing"));
  const faults = [...summary.faults.values()].reduce((sum, n) => sum + n, 0);
  return [
    "chaos:",
    `ops=${summary.ops}`,
    `acked=${summary.acked}`,
    `lost=${summary.lost.length}`,
    `linearizable=${lin.verdict === "linearizable" ? "yes" : lin.verdict === "incomplete" ? "incomplete" : "no"}`,
    `incomplete=${lin.incompleteKeys.length}`,
    `streams=${summary.streams.ok ? "ok" : "bad"}`,
    `diverged=${summary.convergence.diverged}`,
    `fenced=${fenced ? "ok" : "bad"}`,
    `stale-rejected=${summary.fencing.staleRejected}`,
    `faults=${faults}`,
    `kinds=${summary.kinds.join(",")}`,
  ].join(" ");
}

/** The checks' figures, one line, printed before the summary. */
export function describeChecks(summary: ChaosSummary): string {
  const { linearizability: lin, streams, fencing, convergence } = summary;
  const faults = [...summary.faults].map(([kind, n]) => `${kind}:${n}`).join(" ");
  return [
    `linearizability ${lin.verdict} (${lin.keys} keys, ${lin.operations} ops, ${lin.elapsedMs} ms)`,
    `streams ${streams.subscribers} subscribers, ${streams.entries} entries, ${streams.snapshots} snapshots, ${streams.resumes} resumes`,
    `convergence ${convergence.replicas} replicas`,
    `fencing ${fencing.acts} acts, ${fencing.terms} terms`,
    `faults ${faults === "" ? "none" : faults}`,
  ].join("; ");
}
