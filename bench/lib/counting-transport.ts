/**
 * A transport wrapper that counts what a node sends: batches that carry Raft messages, the
 * messages in them (per-group traffic), and batches that carry none — the node-level liveness
 * pings, whose cost is per peer node rather than per group — and the messages by type, with the
 * entries AppendEntries carry (entries per append shows proposals batched into one append). It
 * changes nothing it forwards.
 */
import type { NodeId } from "@flotilla/raft";
import type { RaftBatch, Transport } from "@flotilla/runtime";

/** Cumulative send counters of one or more transports. */
export interface TransportCounts {
  /** Batches holding at least one Raft message. */
  readonly batches: number;
  /** Raft messages inside those batches (every group's traffic). */
  readonly messages: number;
  /** Batches holding no message: node-level liveness pings. */
  readonly emptyBatches: number;
  /** Messages by their `type` ("AppendEntries", "Heartbeat", …). */
  readonly messagesByType: Readonly<Record<string, number>>;
  /** Entries carried by AppendEntries messages. */
  readonly appendedEntries: number;
}

/** No sends yet. */
export const ZERO_TRANSPORT_COUNTS: TransportCounts = {
  batches: 0,
  messages: 0,
  emptyBatches: 0,
  messagesByType: {},
  appendedEntries: 0,
};

/**
 * Wraps `inner`, counting every `send`.
 *
 * @example
 * const counting = new CountingTransport(network.endpoint(nodeId("n1")));
 * await FlotillaNode.start({ nodeId: "n1", storage, transport: counting });
 * counting.counts(); // { batches, messages, emptyBatches }
 */
export class CountingTransport implements Transport {
  private batches = 0;
  private messages = 0;
  private emptyBatches = 0;
  private appendedEntries = 0;
  private readonly messagesByType = new Map<string, number>();

  constructor(private readonly inner: Transport) {}

  send(to: NodeId, batch: RaftBatch): void {
    if (batch.messages.length === 0) {
      this.emptyBatches++;
    } else {
      this.batches++;
      this.messages += batch.messages.length;
      for (const { message } of batch.messages) {
        this.messagesByType.set(message.type, (this.messagesByType.get(message.type) ?? 0) + 1);
        if (message.type === "AppendEntries") this.appendedEntries += message.entries.length;
      }
    }
    this.inner.send(to, batch);
  }

  onBatch(handler: (batch: RaftBatch) => void): () => void {
    return this.inner.onBatch(handler);
  }

  /** The counters so far. */
  counts(): TransportCounts {
    return {
      batches: this.batches,
      messages: this.messages,
      emptyBatches: this.emptyBatches,
      messagesByType: Object.fromEntries(this.messagesByType),
      appendedEntries: this.appendedEntries,
    };
  }
}

/** `later - earlier`, field by field. */
export function transportCountsSince(
  later: TransportCounts,
  earlier: TransportCounts,
): TransportCounts {
  return {
    batches: later.batches - earlier.batches,
    messages: later.messages - earlier.messages,
    emptyBatches: later.emptyBatches - earlier.emptyBatches,
    messagesByType: combine(later.messagesByType, earlier.messagesByType, -1),
    appendedEntries: later.appendedEntries - earlier.appendedEntries,
  };
}

/** The field-by-field sum of `counts`. */
export function sumTransportCounts(counts: readonly TransportCounts[]): TransportCounts {
  return counts.reduce(
    (sum, c) => ({
      batches: sum.batches + c.batches,
      messages: sum.messages + c.messages,
      emptyBatches: sum.emptyBatches + c.emptyBatches,
      messagesByType: combine(sum.messagesByType, c.messagesByType, 1),
      appendedEntries: sum.appendedEntries + c.appendedEntries,
    }),
    ZERO_TRANSPORT_COUNTS,
  );
}

/** `a + sign × b` per key; keys whose result is 0 are left out. */
function combine(
  a: Readonly<Record<string, number>>,
  b: Readonly<Record<string, number>>,
  sign: 1 | -1,
): Record<string, number> {
  const result: Record<string, number> = { ...a };
  for (const [key, count] of Object.entries(b)) result[key] = (result[key] ?? 0) + sign * count;
  for (const [key, count] of Object.entries(result)) if (count === 0) delete result[key];
  return result;
}
