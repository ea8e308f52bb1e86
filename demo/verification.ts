/**
 * The demo's verdict, its last line: `demo: acknowledged=N lost=0 diverged=0 failovers=K`.
 * `lost` counts acknowledged puts missing (or different) on any replica; `diverged` counts
 * replicas whose state differs from the rest of their group's; `failovers` counts groups whose
 * leader changed because of the kill.
 */
import type { ReplicaState } from "./demo-cluster.js";
import type { AcknowledgedPut } from "./workload.js";

/** The figures of the verification line. */
export interface Verdict {
  readonly acknowledged: number;
  readonly lost: number;
  readonly diverged: number;
  readonly failovers: number;
}

/** Checks every acknowledged put against every replica, and replicas against each other. */
export function verify(
  acknowledged: readonly AcknowledgedPut[],
  states: ReadonlyMap<string, ReadonlyMap<string, ReplicaState>>,
  failovers: number,
): Verdict {
  let lost = 0;
  for (const put of acknowledged) {
    const replicas = states.get(put.groupId);
    const missing =
      replicas === undefined ||
      replicas.size === 0 ||
      [...replicas.values()].some((replica) => replica.values.get(put.key) !== put.value);
    if (missing) lost++;
  }
  let diverged = 0;
  for (const replicas of states.values()) {
    const counts = new Map<string, number>();
    for (const { digest } of replicas.values()) counts.set(digest, (counts.get(digest) ?? 0) + 1);
    const majority = Math.max(0, ...counts.values());
    diverged += replicas.size - majority;
  }
  return { acknowledged: acknowledged.length, lost, diverged, failovers };
}

/** The verification line, exactly as the README and the tests read it. */
export function verdictLine(verdict: Verdict): string {
  return (
    `demo: acknowledged=${verdict.acknowledged} lost=${verdict.lost} ` +
    `diverged=${verdict.diverged} failovers=${verdict.failovers}`
  );
}
