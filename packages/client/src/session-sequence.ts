/**
 * A client's session numbering: every proposal gets the next sequence number, and
 * `respondedTo` is the highest number below which every proposal has been answered (or given
 * up), which lets every group forget those outcomes (session-table.ts in the runtime).
 */
export class SessionSequence {
  private last = 0;
  private lowWater = 0;
  private readonly outstanding = new Set<number>();

  /** The next sequence number, outstanding until {@link answered}. */
  next(): number {
    const sequence = ++this.last;
    this.outstanding.add(sequence);
    return sequence;
  }

  /** `sequence` has its final answer (or the caller gave up on it). */
  answered(sequence: number): void {
    this.outstanding.delete(sequence);
    while (this.lowWater < this.last && !this.outstanding.has(this.lowWater + 1)) this.lowWater++;
  }

  /** Every sequence number at or below this one is answered. */
  get respondedTo(): number {
    return this.lowWater;
  }
}
