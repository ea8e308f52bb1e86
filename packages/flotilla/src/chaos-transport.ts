/**
 * The chaos fault hook: a `Transport` wrapper that drops, delays (with jitter) and duplicates
 * the outgoing Raft batches toward chosen peers, by rules an operator sets at run time (the
 * control op `faults`). The node process installs it only with `flotilla node --chaos`; without
 * it nothing in the send path changes. Drop 1 toward a peer is a one-way partition; a two-way
 * partition is rules on both sides. Raft tolerates all of these faults (loss, duplication,
 * reordering), which is what a chaos run sets out to prove on real processes.
 */
import { randomInt } from "node:crypto";
import { SeededRandom, type NodeId } from "@flotilla/raft";
import {
  BadRequestError,
  type RaftBatch,
  type Transport,
  type Unsubscribe,
} from "@flotilla/runtime";

/** The faults applied to every outgoing batch toward one peer. */
export interface FaultRule {
  /** The peer node. */
  readonly to: string;
  /** Probability in [0, 1] that a batch is lost (1: a one-way partition). */
  readonly drop?: number;
  /** Milliseconds every batch is held before it is sent. */
  readonly delayMs?: number;
  /** Up to this many more milliseconds, uniformly at random per batch (reorders batches). */
  readonly jitterMs?: number;
  /** Probability in [0, 1] that a batch is sent twice (each copy delayed on its own). */
  readonly duplicate?: number;
}

/** What the hook did since the node started. */
export interface ChaosTransportStats {
  /** Peers with a rule now. */
  readonly rules: number;
  /** Batches that met a rule. */
  readonly faulted: number;
  readonly dropped: number;
  readonly delayed: number;
  readonly duplicated: number;
  /** Delayed batches dropped because `delayedBatchesMax` were already waiting. */
  readonly overflowDropped: number;
}

/** Runs `run` after `ms`; returns the cancel. */
export type ScheduleSend = (run: () => void, ms: number) => () => void;

/** Options of {@link ChaosTransport}. */
export interface ChaosTransportOptions {
  /** How a delayed batch is scheduled (default `setTimeout`); tests pass a manual one. */
  readonly schedule?: ScheduleSend;
  /**
   * Delayed batches waiting at once, at most (default 10 000); past it a batch that would wait
   * is dropped instead (counted in `overflowDropped`), as a congested link would.
   */
  readonly delayedBatchesMax?: number;
}

/** Bounds on the rules an operator may set, so a typo cannot wedge a node. */
const RULES_MAX = 256;
const DELAY_MS_MAX = 60_000;

const timeoutSchedule: ScheduleSend = (run, ms) => {
  const timer = setTimeout(run, ms);
  return () => clearTimeout(timer);
};

/**
 * A transport that injects the faults of its rules into `inner`'s outgoing batches. Incoming
 * batches pass through untouched (the peer's own hook faults its side).
 *
 * @example
 * const chaos = new ChaosTransport(await NatsTransport.start(options));
 * chaos.setRules([{ to: "n2", drop: 1 }], 42); // n1 → n2 cut
 * chaos.setRules([]); // healed
 */
export class ChaosTransport implements Transport {
  private rules = new Map<string, FaultRule>();
  private random = new SeededRandom(randomInt(0x1_0000_0000));
  private readonly delayed = new Set<() => void>();
  private readonly schedule: ScheduleSend;
  private readonly delayedBatchesMax: number;
  private readonly counters = {
    faulted: 0,
    dropped: 0,
    delayed: 0,
    duplicated: 0,
    overflowDropped: 0,
  };

  constructor(
    private readonly inner: Transport,
    options: ChaosTransportOptions = {},
  ) {
    this.schedule = options.schedule ?? timeoutSchedule;
    this.delayedBatchesMax = options.delayedBatchesMax ?? 10_000;
  }

  /**
   * Replaces every rule (an empty list heals). With `seed`, the random choices from now on
   * follow it, so a run's faults replay; batches already delayed still go out.
   */
  setRules(rules: readonly FaultRule[], seed?: number): void {
    this.rules = new Map(rules.map((rule) => [rule.to, rule]));
    if (seed !== undefined) this.random = new SeededRandom(seed);
  }

  /** The rules in force. */
  currentRules(): FaultRule[] {
    return [...this.rules.values()];
  }

  send(to: NodeId, batch: RaftBatch): void {
    const rule = this.rules.get(to);
    if (rule === undefined) {
      this.inner.send(to, batch);
      return;
    }
    this.counters.faulted++;
    if (this.random.chance(rule.drop ?? 0)) {
      this.counters.dropped++;
      return;
    }
    const copies = this.random.chance(rule.duplicate ?? 0) ? 2 : 1;
    if (copies === 2) this.counters.duplicated++;
    for (let copy = 0; copy < copies; copy++) this.sendLater(to, batch, rule);
  }

  onBatch(handler: (batch: RaftBatch) => void): Unsubscribe {
    return this.inner.onBatch(handler);
  }

  /** A copy of the counters. */
  stats(): ChaosTransportStats {
    return { rules: this.rules.size, ...this.counters };
  }

  /** Cancels every delayed batch (they are lost, as on a stopped node) and clears the rules. */
  close(): void {
    for (const cancel of this.delayed) cancel();
    this.delayed.clear();
    this.rules.clear();
  }

  private sendLater(to: NodeId, batch: RaftBatch, rule: FaultRule): void {
    const jitterMs = rule.jitterMs ?? 0;
    const ms = (rule.delayMs ?? 0) + (jitterMs > 0 ? this.random.nextFloat() * jitterMs : 0);
    if (ms <= 0) {
      this.inner.send(to, batch);
      return;
    }
    if (this.delayed.size >= this.delayedBatchesMax) {
      this.counters.overflowDropped++;
      return;
    }
    this.counters.delayed++;
    const cancel = this.schedule(() => {
      this.delayed.delete(cancel);
      this.inner.send(to, batch);
    }, ms);
    this.delayed.add(cancel);
  }
}

/**
 * The rules of a `faults` control request, checked field by field.
 *
 * @throws {BadRequestError} naming the first mistake.
 */
export function parseFaultRules(value: unknown): FaultRule[] {
  if (!Array.isArray(value)) throw new BadRequestError("rules must be an array");
  if (value.length > RULES_MAX) throw new BadRequestError(`at most ${RULES_MAX} rules`);
  const seen = new Set<string>();
  return value.map((raw: unknown, i) => {
    if (typeof raw !== "object" || raw === null) {
      throw new BadRequestError(`rules[${i}] must be a map`);
    }
    const fields = raw as Record<string, unknown>;
    const to = fields["to"];
    if (typeof to !== "string" || to === "") {
      throw new BadRequestError(`rules[${i}].to must be a node id`);
    }
    if (seen.has(to)) throw new BadRequestError(`rules[${i}]: a second rule for ${to}`);
    seen.add(to);
    const rule: { -readonly [K in keyof FaultRule]: FaultRule[K] } = { to };
    for (const name of ["drop", "duplicate"] as const) {
      const p = fields[name];
      if (p === undefined) continue;
      if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
        throw new BadRequestError(`rules[${i}].${name} must be a probability in [0, 1]`);
      }
      rule[name] = p;
    }
    for (const name of ["delayMs", "jitterMs"] as const) {
      const ms = fields[name];
      if (ms === undefined) continue;
      if (typeof ms !== "number" || !(ms >= 0 && ms <= DELAY_MS_MAX)) {
        throw new BadRequestError(`rules[${i}].${name} must be in [0, ${DELAY_MS_MAX}] ms`);
      }
      rule[name] = ms;
    }
    return rule;
  });
}

/**
 * The optional `seed` of a `faults` request.
 *
 * @throws {BadRequestError} for anything but an integer in [0, 2^32).
 */
export function parseFaultSeed(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value >= 2 ** 32) {
    throw new BadRequestError("seed must be an integer in [0, 2^32)");
  }
  return value;
}
