/**
 * A node's clock: it ticks every `periodSteps` simulated steps, where the period may be a
 * fraction (a clock running a few percent fast or slow). Nodes start at different phases, so
 * they never tick in lockstep. A clock keeps running while its node is down.
 */

/** One node's tick source. Call {@link ticksAt} once per step, in step order. */
export class NodeClock {
  private nextTickAtStep: number;

  constructor(
    /** Steps between two ticks; at least 1, so a step holds at most one tick. */
    readonly periodSteps: number,
    phaseSteps: number,
  ) {
    if (!(periodSteps >= 1))
      throw new RangeError(`a clock period must be >= 1 step, got ${periodSteps}`);
    this.nextTickAtStep = phaseSteps;
  }

  /** Whether the clock ticks during `step`. */
  ticksAt(step: number): boolean {
    if (step < this.nextTickAtStep) return false;
    this.nextTickAtStep += this.periodSteps;
    // A clock never owes more than one tick: a late caller does not get a burst.
    if (this.nextTickAtStep <= step) this.nextTickAtStep = step + this.periodSteps;
    return true;
  }
}
