/**
 * A leader's lease, on the monotonic clock (ADR 0010). The lease starts when the leader *sent*
 * the heartbeat round that a quorum then acknowledged — never when the acknowledgements
 * arrived — and lasts {@link leaseDurationMs}: less than the shortest time in which a voter
 * that answered that round could vote for anyone else. It is checked against `clock.now()`,
 * not against ticks, so a process that was paused sees its lease expired on resume, before
 * its first tick and before it acts.
 *
 * The evidence is a ReadIndex round of the runtime's own (a "probe"): the core confirms a
 * ReadIndex context only once a quorum acknowledged a heartbeat carrying that context (or a
 * later one), and the runtime notes the clock before handing the context to the core, so the
 * heartbeats were sent after that instant. This needs the core's `safe` read mode, the
 * runtime's only one: under `lease` the core would answer from its tick-counted lease.
 */
import { contextKey, type Membership, type ReadState } from "@flotilla/raft";
import type { Clock } from "./clock.js";

const UTF8 = new TextEncoder();

/** Every probe context starts so; a client read's context never does (flotilla-node.ts). */
const PROBE_PREFIX = "lease:";

/**
 * How far any node's monotonic clock may run fast or slow, as a fraction of true time. Real
 * clocks err by parts per million; the runtime simulator drifts its nodes by up to 10 %.
 */
export const CLOCK_RATE_ERROR_MAX = 0.1;

/**
 * How long a lease lasts after its probe was sent. A voter that heard the leader at `t` votes
 * for no one else before it counted `electionTicks` ticks after `t`; ticks are counted from its
 * clock, at most one per whole interval (flotilla-node.ts `ticksDue`), so that takes more than
 * `electionTicks - 1` intervals by the voter's clock. Shrunk so that it still holds when the
 * voter's clock runs {@link CLOCK_RATE_ERROR_MAX} fast and the leader's as much slow. Zero (no
 * lease ever) below 2 election ticks.
 */
export function leaseDurationMs(electionTicks: number, tickIntervalMs: number): number {
  const voterMs = Math.max(0, electionTicks - 1) * tickIntervalMs;
  return Math.floor((voterMs * (1 - CLOCK_RATE_ERROR_MAX)) / (1 + CLOCK_RATE_ERROR_MAX));
}

interface Probe {
  readonly key: string;
  readonly sentAtMs: number;
  readonly membership: Membership;
}

/** One replica's lease while it leads; empty otherwise. */
export class LeaderLease {
  /** The term the lease (and any probe in flight) belongs to. */
  private term: number | undefined;
  /** The configuration whose quorum granted the lease: another one voids it. */
  private membership: Membership | undefined;
  private expiresAtMs = Number.NEGATIVE_INFINITY;
  /** Set once this leader sent TimeoutNow: its target may be elected over every lease. */
  private forfeited = false;
  /** Probes in flight, oldest first (bounded: a new one only every half lease). */
  private readonly probes: Probe[] = [];
  private probeCount = 0;

  constructor(
    private readonly clock: Clock,
    /** See {@link leaseDurationMs}. */
    readonly durationMs: number,
  ) {}

  /**
   * True while this replica, leading `term` under `membership`, holds its lease: a quorum of
   * that configuration acknowledged a heartbeat sent less than {@link durationMs} ago, and no
   * leadership transfer was started since. Cheap: a clock reading and three comparisons.
   */
  valid(term: number, membership: Membership): boolean {
    return this.expiresAt(term, membership) > this.clock.now();
  }

  /**
   * When the lease of `term` under `membership` runs out (clock ms), or `-Infinity` when there
   * is none.
   */
  expiresAt(term: number, membership: Membership): number {
    if (this.term !== term || this.membership !== membership || this.forfeited) {
      return Number.NEGATIVE_INFINITY;
    }
    return this.expiresAtMs;
  }

  /** Whether a probe should be sent now: the lease ends within half its length, none is fresh. */
  probeDue(term: number): boolean {
    if (this.forfeited && this.term === term) return false;
    if (this.durationMs <= 0) return false;
    const nowMs = this.clock.now();
    if (this.term === term && this.expiresAtMs - nowMs > this.durationMs / 2) return false;
    const newest = this.probes[this.probes.length - 1];
    // A probe younger than half a lease is still expected to come back (or the leader to lose
    // office): another one would only add a heartbeat round.
    return newest === undefined || nowMs - newest.sentAtMs >= this.durationMs / 2;
  }

  /**
   * A probe's context for the core's `readIndex`, noting the clock now: the heartbeats that
   * carry it leave after this instant.
   */
  startProbe(term: number, membership: Membership): Uint8Array {
    this.adopt(term);
    const context = UTF8.encode(`${PROBE_PREFIX}${++this.probeCount}`);
    this.probes.push({ key: contextKey(context), sentAtMs: this.clock.now(), membership });
    // A probe the core forgot (its leader lost office) never returns: at most a few are kept.
    if (this.probes.length > 4) this.probes.shift();
    return context;
  }

  /** The core refused the newest probe (not leading, overloaded): forget it. */
  probeRefused(): void {
    this.probes.pop();
  }

  /**
   * Read points the core confirmed: a probe among them extends the lease to its send time plus
   * {@link durationMs}, if the configuration that confirmed it is still `membership`.
   */
  confirmed(readStates: readonly ReadState[], term: number, membership: Membership): void {
    if (this.probes.length === 0 || this.term !== term) return;
    for (const { context } of readStates) {
      const key = contextKey(context);
      const at = this.probes.findIndex((probe) => probe.key === key);
      if (at < 0) continue;
      const probe = this.probes[at];
      this.probes.splice(0, at + 1);
      if (probe === undefined || probe.membership !== membership || this.forfeited) continue;
      const expiresAtMs = probe.sentAtMs + this.durationMs;
      if (this.membership !== membership) {
        this.membership = membership;
        this.expiresAtMs = expiresAtMs;
      } else {
        this.expiresAtMs = Math.max(this.expiresAtMs, expiresAtMs);
      }
    }
  }

  /**
   * This leader sent TimeoutNow in `term`: the target may now be elected by voters that would
   * otherwise refuse (dissertation §3.10), whenever the message lands. No lease again in `term`.
   */
  forfeit(term: number): void {
    this.adopt(term);
    this.forfeited = true;
    this.probes.length = 0;
  }

  /** Whether {@link forfeit} was called in `term`. */
  forfeitedIn(term: number): boolean {
    return this.forfeited && this.term === term;
  }

  /** The replica's role or term changed: whatever was held is gone. */
  reset(): void {
    this.term = undefined;
    this.membership = undefined;
    this.expiresAtMs = Number.NEGATIVE_INFINITY;
    this.forfeited = false;
    this.probes.length = 0;
  }

  private adopt(term: number): void {
    if (this.term !== term) {
      this.reset();
      this.term = term;
    }
  }
}
