/**
 * ReadIndex requests waiting for a quorum to confirm the leader is still the leader
 * (dissertation §6.4). Requests are confirmed in arrival order: an acknowledgement for a later
 * request's heartbeat confirms every earlier one too.
 */
import type { NodeId } from "./ids.js";

/** One read waiting for confirmation. `requester` is this node or the follower that asked. */
export interface PendingRead {
  readonly context: Uint8Array;
  readonly index: number;
  readonly requester: NodeId;
  readonly acks: Map<NodeId, boolean>;
}

/** The leader's queue of reads under confirmation. */
export class ReadOnlyQueue {
  private readonly queue: PendingRead[] = [];
  private readonly byKey = new Map<string, PendingRead>();

  get size(): number {
    return this.queue.length;
  }

  /** Adds a read at commit index `index`; a duplicate context is ignored (returns false). */
  add(context: Uint8Array, index: number, requester: NodeId): boolean {
    const key = contextKey(context);
    if (this.byKey.has(key)) return false;
    const read: PendingRead = { context, index, requester, acks: new Map() };
    this.queue.push(read);
    this.byKey.set(key, read);
    return true;
  }

  /** Records `from`'s acknowledgement of the heartbeat carrying `context`; its acks so far. */
  ack(context: Uint8Array, from: NodeId): ReadonlyMap<NodeId, boolean> | undefined {
    const read = this.byKey.get(contextKey(context));
    if (read === undefined) return undefined;
    read.acks.set(from, true);
    return read.acks;
  }

  /** Removes and returns every read up to and including the one with `context`. */
  releaseThrough(context: Uint8Array): PendingRead[] {
    const key = contextKey(context);
    const at = this.queue.findIndex((read) => contextKey(read.context) === key);
    if (at < 0) return [];
    const released = this.queue.splice(0, at + 1);
    for (const read of released) this.byKey.delete(contextKey(read.context));
    return released;
  }

  /** The context of the newest pending read, sent with every heartbeat until confirmed. */
  lastContext(): Uint8Array | undefined {
    return this.queue[this.queue.length - 1]?.context;
  }
}

/** A map key for a ReadIndex context's bytes (the core and the runtime key pending reads by it). */
export function contextKey(context: Uint8Array): string {
  let key = "";
  for (const byte of context) key += byte.toString(16).padStart(2, "0");
  return key;
}
