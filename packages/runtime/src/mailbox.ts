/**
 * A replica's bounded mailbox: inputs wait here until the next round drains them, one at a
 * time, so a replica is never re-entered. The bound is `mailboxMessagesMax`; what overflows is
 * decided by the caller (Raft messages are dropped, proposals rejected).
 */

/** A FIFO with a hard bound. */
export class Mailbox<T> {
  private items: T[] = [];

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError("mailbox capacity must be >= 1");
  }

  /** Appends `item`; false (and nothing stored) when full. */
  offer(item: T): boolean {
    if (this.items.length >= this.capacity) return false;
    this.items.push(item);
    return true;
  }

  /** Takes everything queued, oldest first. */
  drain(): T[] {
    const items = this.items;
    this.items = [];
    return items;
  }

  /** Inputs queued now. */
  get size(): number {
    return this.items.length;
  }
}
