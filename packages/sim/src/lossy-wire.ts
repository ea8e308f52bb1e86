/**
 * The simulator's fault model for anything that travels between nodes — a core message in core
 * mode, a whole batch in runtime mode: each item may be dropped, delayed by a whole number of
 * steps, duplicated, or held back so later ones overtake it; directed links can be cut and
 * healed. Delivery is never in the sending step, comes in (due step, send order) order, and at
 * most `inFlightMax` items are held (past that the oldest is dropped: a lossy network anyway).
 * The random draws per send — drop, then per copy delay and reorder, then duplicate — are part
 * of every seed's replay.
 */
import type { NodeId, SeededRandom } from "@flotilla/raft";
import { intBetween } from "./random-choice.js";

/** How unreliable the wire is. Odds are per item, in `[0, 1]`. */
export interface NetworkFaults {
  readonly dropOdds: number;
  readonly duplicateOdds: number;
  /** Odds that an item is held back past the normal delay range, so later ones overtake it. */
  readonly reorderOdds: number;
  /** Steps an item takes, at least 1 (delivery is never in the sending step). */
  readonly delayStepsMin: number;
  readonly delayStepsMax: number;
}

/** Counters, for the coverage report and tests. */
export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  reordered: number;
  droppedByPartition: number;
  droppedByOverflow: number;
}

/** An item on the wire. */
export interface WireEnvelope<T> {
  readonly item: T;
  /** Send order, unique: ties between items due at the same step break by it. */
  readonly id: number;
  readonly sentAtStep: number;
  readonly deliverAtStep: number;
}

/** A seeded lossy wire of items of type `T`, each between the nodes `endpoints` names. */
export class LossyWire<T> {
  private readonly buckets = new Map<number, WireEnvelope<T>[]>();
  private readonly cutLinks = new Set<string>();
  private inFlight = 0;
  private nextId = 0;
  private faults: NetworkFaults;
  readonly stats: NetworkStats = {
    sent: 0,
    delivered: 0,
    dropped: 0,
    duplicated: 0,
    reordered: 0,
    droppedByPartition: 0,
    droppedByOverflow: 0,
  };

  constructor(
    private readonly random: SeededRandom,
    faults: NetworkFaults,
    private readonly inFlightMax: number,
    private readonly endpoints: (item: T) => { readonly from: NodeId; readonly to: NodeId },
  ) {
    this.faults = checkFaults(faults);
  }

  /** Replaces the fault model (the liveness phase calms the network). */
  setFaults(faults: NetworkFaults): void {
    this.faults = checkFaults(faults);
  }

  /** Puts `item` on the wire at step `nowStep`. */
  send(item: T, nowStep: number): void {
    this.stats.sent++;
    if (this.random.chance(this.faults.dropOdds)) {
      this.stats.dropped++;
      return;
    }
    this.enqueue(item, nowStep);
    if (this.random.chance(this.faults.duplicateOdds)) {
      this.stats.duplicated++;
      this.enqueue(item, nowStep);
    }
  }

  /** Every item due at or before `nowStep`; one on a link cut when it arrives is lost. */
  deliverDue(nowStep: number): WireEnvelope<T>[] {
    const dueSteps = [...this.buckets.keys()]
      .filter((step) => step <= nowStep)
      .sort((a, b) => a - b);
    const delivered: WireEnvelope<T>[] = [];
    for (const step of dueSteps) {
      const bucket = this.buckets.get(step) ?? [];
      this.buckets.delete(step);
      this.inFlight -= bucket.length;
      for (const envelope of bucket) {
        const { from, to } = this.endpoints(envelope.item);
        if (this.isCut(from, to)) {
          this.stats.droppedByPartition++;
          continue;
        }
        this.stats.delivered++;
        delivered.push(envelope);
      }
    }
    return delivered;
  }

  /** Whether anything is due at or before `nowStep`. */
  hasDue(nowStep: number): boolean {
    for (const step of this.buckets.keys()) if (step <= nowStep) return true;
    return false;
  }

  /** Cuts the directed link `from → to` (a one-way partition when only one direction is cut). */
  cut(from: NodeId, to: NodeId): void {
    this.cutLinks.add(linkKey(from, to));
  }

  /** Restores every link. */
  healAll(): void {
    this.cutLinks.clear();
  }

  /** True while `from → to` is cut. */
  isCut(from: NodeId, to: NodeId): boolean {
    return this.cutLinks.size > 0 && this.cutLinks.has(linkKey(from, to));
  }

  /** Number of cut directed links. */
  cutLinkCount(): number {
    return this.cutLinks.size;
  }

  /** Items on the wire now. */
  inFlightCount(): number {
    return this.inFlight;
  }

  private enqueue(item: T, nowStep: number): void {
    const { delayStepsMin, delayStepsMax, reorderOdds } = this.faults;
    let delay = intBetween(this.random, delayStepsMin, delayStepsMax);
    if (this.random.chance(reorderOdds)) {
      this.stats.reordered++;
      delay += intBetween(this.random, 1, delayStepsMax + 1);
    }
    const deliverAtStep = nowStep + delay;
    const envelope: WireEnvelope<T> = {
      item,
      id: this.nextId++,
      sentAtStep: nowStep,
      deliverAtStep,
    };
    const bucket = this.buckets.get(deliverAtStep);
    if (bucket === undefined) this.buckets.set(deliverAtStep, [envelope]);
    else bucket.push(envelope);
    this.inFlight++;
    if (this.inFlight > this.inFlightMax) this.dropOldest();
  }

  /** Each bucket is in send order, so the oldest item heads one of them. */
  private dropOldest(): void {
    let oldest: { step: number; id: number } | undefined;
    for (const [step, bucket] of this.buckets) {
      const head = bucket[0];
      if (head !== undefined && (oldest === undefined || head.id < oldest.id)) {
        oldest = { step, id: head.id };
      }
    }
    if (oldest === undefined) return;
    const bucket = this.buckets.get(oldest.step) ?? [];
    bucket.shift();
    if (bucket.length === 0) this.buckets.delete(oldest.step);
    this.inFlight--;
    this.stats.droppedByOverflow++;
  }
}

function linkKey(from: NodeId, to: NodeId): string {
  return `${from}>${to}`;
}

function checkFaults(faults: NetworkFaults): NetworkFaults {
  if (!(faults.delayStepsMin >= 1 && faults.delayStepsMax >= faults.delayStepsMin)) {
    throw new RangeError("network delay must be 1 <= delayStepsMin <= delayStepsMax");
  }
  return faults;
}
