/**
 * The simulated network: an in-memory, seeded, lossy wire between nodes. Each message may be
 * dropped, delayed by a whole number of steps, duplicated, or held back so later ones overtake
 * it; directed links can be cut (partitions, symmetric or one-way) and healed. It never invents
 * or alters a message, and it holds at most {@link NetworkOptions.inFlightMax} messages: past
 * that it drops the oldest (a lossy network anyway, and Raft retries).
 */
import type { Message, NodeId, SeededRandom } from "@flotilla/raft";
import { decodeBatch, encodeBatch } from "@flotilla/transport-nats";
import { intBetween } from "./random-choice.js";

/** A message on the wire, tagged with its group (core messages do not carry one). */
export interface Envelope {
  readonly groupId: string;
  readonly message: Message;
  /** Send order, unique: ties between messages due at the same step break by it. */
  readonly id: number;
  readonly sentAtStep: number;
  readonly deliverAtStep: number;
}

/** How unreliable the wire is. Odds are per message, in `[0, 1]`. */
export interface NetworkFaults {
  readonly dropOdds: number;
  readonly duplicateOdds: number;
  /** Odds that a message is held back past the normal delay range, so later ones overtake it. */
  readonly reorderOdds: number;
  /** Steps a message takes, at least 1 (delivery is never in the sending step). */
  readonly delayStepsMin: number;
  readonly delayStepsMax: number;
}

/** A calm network: no loss, no duplicates, no reordering, unit delay. */
export const CALM_NETWORK: NetworkFaults = {
  dropOdds: 0,
  duplicateOdds: 0,
  reorderOdds: 0,
  delayStepsMin: 1,
  delayStepsMax: 1,
};

/** Bounds of the network. */
export interface NetworkOptions {
  /** Messages in flight at most; on overflow the oldest is dropped. */
  readonly inFlightMax: number;
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

/**
 * Seeded in-memory network.
 *
 * @example
 * const network = new Network(new SeededRandom(1), CALM_NETWORK, { inFlightMax: 1024 });
 * network.send("g1", message, 0);
 * network.deliverDue(1); // [envelope]
 */
export class Network {
  private readonly buckets = new Map<number, Envelope[]>();
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
    private readonly options: NetworkOptions,
  ) {
    this.faults = checkFaults(faults);
  }

  /** Replaces the fault model (the liveness phase calms the network). */
  setFaults(faults: NetworkFaults): void {
    this.faults = checkFaults(faults);
  }

  /** Puts `message` of group `groupId` on the wire at step `nowStep`. */
  send(groupId: string, sent: Message, nowStep: number): void {
    this.stats.sent++;
    // What travels is what the NATS transport's codec makes of it: the receiver gets the
    // decoded bytes, so the simulator exercises the wire format too.
    const message = throughTheWire(groupId, sent);
    if (this.random.chance(this.faults.dropOdds)) {
      this.stats.dropped++;
      return;
    }
    this.enqueue(groupId, message, nowStep);
    if (this.random.chance(this.faults.duplicateOdds)) {
      this.stats.duplicated++;
      this.enqueue(groupId, message, nowStep);
    }
  }

  /**
   * Every message due at or before `nowStep`, in (due step, send order) order. A message on a
   * link that is cut when it arrives is lost.
   */
  deliverDue(nowStep: number): Envelope[] {
    const dueSteps = [...this.buckets.keys()]
      .filter((step) => step <= nowStep)
      .sort((a, b) => a - b);
    const delivered: Envelope[] = [];
    for (const step of dueSteps) {
      const bucket = this.buckets.get(step) ?? [];
      this.buckets.delete(step);
      this.inFlight -= bucket.length;
      for (const envelope of bucket) {
        if (this.isCut(envelope.message.from, envelope.message.to)) {
          this.stats.droppedByPartition++;
          continue;
        }
        this.stats.delivered++;
        delivered.push(envelope);
      }
    }
    return delivered;
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

  /** Messages on the wire now. */
  inFlightCount(): number {
    return this.inFlight;
  }

  private enqueue(groupId: string, message: Message, nowStep: number): void {
    const { delayStepsMin, delayStepsMax, reorderOdds } = this.faults;
    let delay = intBetween(this.random, delayStepsMin, delayStepsMax);
    if (this.random.chance(reorderOdds)) {
      this.stats.reordered++;
      delay += intBetween(this.random, 1, delayStepsMax + 1);
    }
    const deliverAtStep = nowStep + delay;
    const envelope: Envelope = {
      groupId,
      message,
      id: this.nextId++,
      sentAtStep: nowStep,
      deliverAtStep,
    };
    const bucket = this.buckets.get(deliverAtStep);
    if (bucket === undefined) this.buckets.set(deliverAtStep, [envelope]);
    else bucket.push(envelope);
    this.inFlight++;
    if (this.inFlight > this.options.inFlightMax) this.dropOldest();
  }

  /** Each bucket is in send order, so the oldest message heads one of them. */
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

/** `message` encoded as a one-message batch with the transport's codec, and decoded again. */
function throughTheWire(groupId: string, message: Message): Message {
  const decoded = decodeBatch(
    encodeBatch({ from: message.from, messages: [{ groupId, message }] }),
  );
  const [only] = decoded.messages;
  if (only === undefined || only.groupId !== groupId) {
    throw new Error(`the wire codec lost a ${message.type} of group ${groupId}`);
  }
  return only.message;
}
