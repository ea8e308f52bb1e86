/**
 * The in-process network: the tests' transport and the embedded default. Batches are delivered
 * asynchronously (on a later macrotask, never inside `send`) as a copy, links can be cut one way or both
 * for failover tests, and every send is counted per link so tests can check coalescing.
 */
import type { NodeId } from "@flotilla/raft";
import type { RaftBatch, Transport, Unsubscribe } from "./transport.js";

/**
 * A network of in-process nodes.
 *
 * @example
 * const network = new InMemoryNetwork();
 * const a = network.endpoint(nodeId("a"));
 * const b = network.endpoint(nodeId("b"));
 * b.onBatch((batch) => handle(batch));
 * a.send(nodeId("b"), { from: nodeId("a"), messages }); // delivered on a later macrotask
 * network.isolate(nodeId("a")); // cut every link of a, both ways
 */
export class InMemoryNetwork {
  private readonly handlers = new Map<NodeId, (batch: RaftBatch) => void>();
  private readonly cutLinks = new Set<string>();
  private readonly sendCounts = new Map<string, number>();
  private deliveriesPending = 0;

  /** Batches sent and not yet delivered (or dropped at delivery). */
  get inFlight(): number {
    return this.deliveriesPending;
  }

  /** The transport of node `id`. */
  endpoint(id: NodeId): Transport {
    return {
      send: (to, batch) => this.send(id, to, batch),
      onBatch: (handler): Unsubscribe => {
        this.handlers.set(id, handler);
        return () => {
          if (this.handlers.get(id) === handler) this.handlers.delete(id);
        };
      },
    };
  }

  /** Drops every batch from `from` to `to` until {@link heal}. */
  cut(from: NodeId, to: NodeId): void {
    this.cutLinks.add(linkKey(from, to));
  }

  /** Cuts every link between `id` and each of `peers`, both ways. */
  isolate(id: NodeId, peers: readonly NodeId[]): void {
    for (const peer of peers) {
      if (peer === id) continue;
      this.cut(id, peer);
      this.cut(peer, id);
    }
  }

  /** Restores every cut link. */
  healAll(): void {
    this.cutLinks.clear();
  }

  /** Batches sent (cut or not) from `from` to `to` so far. */
  sent(from: NodeId, to: NodeId): number {
    return this.sendCounts.get(linkKey(from, to)) ?? 0;
  }

  /** Batches sent by `from` to anyone so far. */
  sentBy(from: NodeId): number {
    let total = 0;
    for (const [key, count] of this.sendCounts) if (key.startsWith(`${from}>`)) total += count;
    return total;
  }

  private send(from: NodeId, to: NodeId, batch: RaftBatch): void {
    const key = linkKey(from, to);
    this.sendCounts.set(key, (this.sendCounts.get(key) ?? 0) + 1);
    if (this.cutLinks.has(key)) return;
    // A copy, as a wire would make: no node can alias another's messages or entry bytes.
    const copy = structuredClone(batch);
    this.deliveriesPending++;
    setImmediate(() => {
      this.deliveriesPending--;
      // Checked again at delivery: a link cut after sending loses what was in flight.
      if (this.cutLinks.has(key)) return;
      this.handlers.get(to)?.(copy);
    });
  }
}

function linkKey(from: NodeId, to: NodeId): string {
  return `${from}>${to}`;
}
