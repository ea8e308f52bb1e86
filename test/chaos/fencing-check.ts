/**
 * The fencing check over the sink's record of leader-companion acts. Per group:
 *
 * 1. one node per term: no two nodes acted with the same term (two leaders in one term);
 * 2. no act after its lease ran out: an act whose lease check came after the sink had received
 *    an act of a higher term. That higher-term act proves that a new leader had been elected and
 *    had itself passed a lease check; a correct lease (on the monotonic clock, which every process
 *    of this machine shares) has expired before a rival can be elected, so the old leader's
 *    check must have said no. Leadership transfers are no excuse: a leader that hands over must
 *    give up its lease first.
 *
 * Stale attempts (acts the sink refused because a higher term had been seen) are counted, not
 * faults: they are the acts sent in the window between a lease check and the send, which only a
 * fencing token stops — the window the companion's 0–30 ms of work opens on purpose.
 */
import type { SinkRecord } from "./sink-process.js";

/** The verdict of the fencing check. */
export interface FencingCheckResult {
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly acts: number;
  /** Acts the sink refused (a higher term had been seen for the group). */
  readonly staleRejected: number;
  /** Distinct (group, term) pairs that acted. */
  readonly terms: number;
}

/** Problems listed at most (the count is always given). */
const PROBLEMS_MAX = 20;

/** Checks the sink's acts. */
export function checkFencing(acts: readonly SinkRecord[]): FencingCheckResult {
  const problems: string[] = [];
  const byGroup = new Map<string, SinkRecord[]>();
  for (const act of acts) byGroup.set(act.group, [...(byGroup.get(act.group) ?? []), act]);
  let terms = 0;
  for (const [group, groupActs] of byGroup) {
    const nodesByTerm = new Map<number, Set<string>>();
    for (const act of groupActs) {
      const nodes = nodesByTerm.get(act.term) ?? new Set<string>();
      nodes.add(act.node);
      nodesByTerm.set(act.term, nodes);
    }
    terms += nodesByTerm.size;
    for (const [term, nodes] of nodesByTerm) {
      if (nodes.size > 1) problems.push(`${group}: term ${term} acted on ${[...nodes].join(", ")}`);
    }
    problems.push(...actsAfterLease(group, groupActs));
  }
  return {
    ok: problems.length === 0,
    problems:
      problems.length > PROBLEMS_MAX
        ? [...problems.slice(0, PROBLEMS_MAX), `${problems.length - PROBLEMS_MAX} more`]
        : problems,
    acts: acts.length,
    staleRejected: acts.filter((act) => !act.accepted).length,
    terms,
  };
}

/** Acts checked after the sink had received an act of a higher term of the same group. */
function actsAfterLease(group: string, acts: readonly SinkRecord[]): string[] {
  const received = [...acts].sort((a, b) => a.recvNs - b.recvNs);
  // highestBefore[i]: the highest term among the first i acts received (with its act).
  const highest: (SinkRecord | undefined)[] = [undefined];
  for (const act of received) {
    const previous = highest[highest.length - 1];
    highest.push(previous === undefined || act.term > previous.term ? act : previous);
  }
  const problems: string[] = [];
  for (const act of acts) {
    const before = highest[countBefore(received, act.checkNs)];
    if (before !== undefined && before.term > act.term) {
      problems.push(
        `${group}: ${act.node} checked its lease for term ${act.term} ` +
          `${((act.checkNs - before.recvNs) / 1e6).toFixed(1)} ms after ${before.node} ` +
          `had acted with term ${before.term}`,
      );
    }
  }
  return problems;
}

/** How many of `sorted` (by recvNs) were received strictly before `ns`. */
function countBefore(sorted: readonly SinkRecord[], ns: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((sorted[mid]?.recvNs ?? Infinity) < ns) low = mid + 1;
    else high = mid;
  }
  return low;
}
