/**
 * One run of the WGL search: a depth-first walk over configurations (operations linearized,
 * model state), with the call and return events in a dancing-links list as in Porcupine's
 * `checkSingle`, a memo of explored configurations, and pruning rules for unknown-outcome
 * operations that each keep the answer unchanged (argued where they are applied).
 */
import { END_OF_EVENTS, EventList, type EventTimes } from "./event-list.js";
import { LinearizedSet } from "./linearized-set.js";
import type { Model } from "./model.js";
import { BudgetExhaustion, type Deadline } from "./search-budget.js";
import { NONE, UnknownGroups } from "./unknown-groups.js";
import { VisitedSet } from "./visited-set.js";
import { WglVerdict, type TimedOperation, type WglResult } from "./wgl-result.js";

/**
 * Which candidates a scan is trying. At each configuration the completed calls (in the event
 * list, up to its first pending return) go before the unknown ones (by group), so a
 * configuration is first reached with as few unknown operations as possible and the memo's
 * subsumption prunes the variants that add more.
 */
const Pass = { completed: 0, unknown: 1 } as const;

/**
 * Loop turns between two looks at the deadline: reading the clock costs far more than a turn,
 * and a few thousand turns take well under a millisecond, so the overshoot stays negligible.
 */
const TURNS_PER_DEADLINE_CHECK = 4_096;
type Pass = (typeof Pass)[keyof typeof Pass];

/** Where the scan of the current configuration's candidates stands. */
interface Cursor {
  pass: Pass;
  /** In the completed pass: the event under the cursor. */
  node: number;
  /** In the unknown pass: the next group to try, or `NONE` at the end of a list. */
  group: number;
  /** In the unknown pass: whether `group` is in the current state's list of guarded groups. */
  guarded: boolean;
  /** In the unknown pass: the operation whose return is the first pending one. */
  windowOwner: number;
}

/** One choice on the search path; frames link to their parent, so a path is kept in O(1). */
interface Frame<State> {
  readonly id: number;
  readonly stateBefore: State;
  readonly parent: Frame<State> | undefined;
  readonly depth: number;
}

interface Deepest<State> {
  readonly top: Frame<State> | undefined;
  readonly completedCount: number;
  readonly state: State;
  readonly stuck: number;
}

/**
 * The search over `operations`; `run` once. Contract as for `checkOperations`, which validates
 * the budget before constructing one.
 */
export class WglSearch<State, Input, Output> {
  /** The completed operations' events; list operation `i` is operation `completedIds[i]`. */
  private readonly events: EventList;
  private readonly completedIds: readonly number[];
  private readonly groups: UnknownGroups<State, Input>;
  /** Per operation: its bit in `completed` (its list index) or in `unknown`. */
  private readonly slot: Int32Array;
  private readonly isUnknown: Uint8Array;
  private readonly completed: LinearizedSet;
  private readonly unknown: LinearizedSet;
  private readonly visited: VisitedSet<State>;
  /** The top of the current path of choices. */
  private top: Frame<State> | undefined;
  private state: State;
  private deepest: Deepest<State> | undefined;

  constructor(
    private readonly model: Model<State, Input, Output>,
    private readonly operations: readonly TimedOperation<Input, Output>[],
    private readonly maxStates: number,
    private readonly deadline?: Deadline,
  ) {
    const completedIds: number[] = [];
    const unknownIds: number[] = [];
    this.slot = new Int32Array(operations.length);
    this.isUnknown = new Uint8Array(operations.length);
    operations.forEach((operation, id) => {
      const unknown = operation.returnTime === Infinity;
      const ids = unknown ? unknownIds : completedIds;
      this.isUnknown[id] = unknown ? 1 : 0;
      this.slot[id] = ids.length;
      ids.push(id);
    });
    this.completedIds = completedIds;
    this.events = new EventList(completedIds.map((id) => operations[id] as EventTimes));
    this.groups = new UnknownGroups(operations, unknownIds, model);
    this.completed = new LinearizedSet(completedIds.length);
    this.unknown = new LinearizedSet(unknownIds.length);
    const [exactWords, optionalWords] = [this.completed.words.length, this.unknown.words.length];
    this.visited = new VisitedSet(exactWords, optionalWords, model.equals);
    this.state = model.init();
  }

  run(): WglResult<State> {
    const cursor: Cursor = {
      pass: Pass.completed,
      node: this.events.first(),
      group: NONE,
      guarded: false,
      windowOwner: NONE,
    };
    // Counts loop turns, not states: a scan that finds nothing new also costs time.
    for (let turn = 1; ; turn++) {
      if (turn % TURNS_PER_DEADLINE_CHECK === 0 && this.deadline?.expired() === true) {
        return this.exhausted(BudgetExhaustion.time);
      }
      if (this.completed.size === this.completedIds.length) {
        const order = pathOf(this.top);
        return { verdict: WglVerdict.linearizable, order, visitedStates: this.visited.size };
      }
      const candidate = this.nextCandidate(cursor);
      if (candidate !== NONE) {
        if (!this.tryLinearize(candidate)) continue;
        if (this.visited.size > this.maxStates) return this.exhausted(BudgetExhaustion.states);
        [cursor.pass, cursor.node] = [Pass.completed, this.events.first()];
        continue;
      }
      // Every candidate before the first pending return was tried: undo the last choice.
      const frame = this.backtrack(cursor.windowOwner);
      if (frame === undefined) return this.notLinearizable();
      if (this.isUnknown[frame.id] === 1) {
        const group = this.groups.groupOf(frame.id);
        cursor.group = this.groups.following(group);
        cursor.guarded = this.groups.enablingState(group) !== undefined;
      } else {
        cursor.pass = Pass.completed;
        cursor.node = this.events.nextOf(this.events.callOf(this.slotOf(frame.id)));
      }
    }
  }

  /**
   * The next operation to try from the current configuration, advancing `cursor` past it;
   * `NONE` when none is left. Candidates are the calls before the first pending return (at
   * equal times calls come first): completed ones by time, then the head of each group that
   * may change any state, then the head of each group enabled in the current state.
   */
  private nextCandidate(cursor: Cursor): number {
    while (cursor.pass === Pass.completed) {
      // A completed operation is pending, so its return lies ahead of any scan.
      if (cursor.node === END_OF_EVENTS) throw new Error("event scan passed every pending return");
      const id = this.completedIds[this.events.operationOf(cursor.node)] ?? NONE;
      if (this.events.isCall(cursor.node)) {
        cursor.node = this.events.nextOf(cursor.node);
        return id;
      }
      cursor.pass = Pass.unknown;
      [cursor.group, cursor.guarded, cursor.windowOwner] = [
        this.groups.firstUnguarded(),
        false,
        id,
      ];
    }
    const windowEnd = this.operation(cursor.windowOwner).returnTime;
    for (;;) {
      const group = cursor.group;
      // Lists are ordered by first call: past the window, no later group has a candidate.
      if (group === NONE || this.groups.firstCallTime(group) > windowEnd) {
        if (cursor.guarded) return NONE;
        cursor.group = this.groups.firstGuarded(this.model.hash(this.state));
        cursor.guarded = true;
        continue;
      }
      cursor.group = this.groups.following(group);
      const id = this.groups.head(group);
      if (this.operation(id).callTime > windowEnd) continue;
      const enabling = this.groups.enablingState(group);
      if (enabling === undefined || this.model.equals(enabling.state, this.state)) return id;
    }
  }

  /** Linearizes `id` next if the model accepts it and the result is not covered already. */
  private tryLinearize(id: number): boolean {
    const operation = this.operation(id);
    if (this.isRedundantBlindWrite(id, operation.input)) return false;
    const result = this.model.step(this.state, operation.input, operation.output);
    if (!result.accepted) return false;
    // An unknown operation that leaves the state as it was (a compare-and-set that fails) gives
    // a configuration the current one covers: skip it without consulting the memo.
    if (this.isUnknown[id] === 1 && this.model.equals(result.state, this.state)) return false;
    this.setOf(id).add(this.slotOf(id));
    const fresh = this.visited.add(
      this.completed.words,
      this.completed.hash,
      this.unknown.words,
      result.state,
      this.model.hash(result.state),
    );
    if (!fresh) {
      this.setOf(id).remove(this.slotOf(id));
      return false;
    }
    const depth = (this.top?.depth ?? 0) + 1;
    this.top = { id, stateBefore: this.state, parent: this.top, depth };
    this.state = result.state;
    if (this.isUnknown[id] === 1) this.groups.take(this.groups.groupOf(id));
    else this.events.lift(this.slotOf(id));
    return true;
  }

  /**
   * An unknown blind write right after an unknown operation leaves the state it would leave
   * without that operation, and the configuration one step up covers this one: it has this
   * write as a candidate too (an unknown operation closes no window), or, when the two are
   * twins, it is the same configuration with fewer unknown operations.
   */
  private isRedundantBlindWrite(id: number, input: Input): boolean {
    const last = this.top;
    const isBlindWrite = this.model.unknownOutcomeHints?.isBlindWrite;
    return (
      last !== undefined &&
      this.isUnknown[id] === 1 &&
      this.isUnknown[last.id] === 1 &&
      isBlindWrite !== undefined &&
      isBlindWrite(input)
    );
  }

  /**
   * Pops the last choice, remembering the deepest point reached (by completed operations, then
   * by the fewest unknown ones); `undefined` at the root.
   */
  private backtrack(stuck: number): Frame<State> | undefined {
    const deepest = this.deepest;
    if (
      deepest === undefined ||
      this.completed.size > deepest.completedCount ||
      (this.completed.size === deepest.completedCount &&
        (this.top?.depth ?? 0) < (deepest.top?.depth ?? 0))
    ) {
      this.deepest = {
        top: this.top,
        completedCount: this.completed.size,
        state: this.state,
        stuck,
      };
    }
    const frame = this.top;
    if (frame === undefined) return undefined;
    this.top = frame.parent;
    this.state = frame.stateBefore;
    this.setOf(frame.id).remove(this.slotOf(frame.id));
    if (this.isUnknown[frame.id] === 1) this.groups.giveBack(this.groups.groupOf(frame.id));
    else this.events.unlift(this.slotOf(frame.id));
    return frame;
  }

  private exhausted(exhaustion: BudgetExhaustion): WglResult<State> {
    return { verdict: WglVerdict.exhausted, visitedStates: this.visited.size, exhaustion };
  }

  private notLinearizable(): WglResult<State> {
    const deepest = this.deepest;
    if (deepest === undefined) throw new Error("the search failed without reaching a return");
    return {
      verdict: WglVerdict.notLinearizable,
      longestPrefix: pathOf(deepest.top),
      stateAfterPrefix: deepest.state,
      stuckOperation: deepest.stuck,
      visitedStates: this.visited.size,
    };
  }

  private operation(id: number): TimedOperation<Input, Output> {
    const operation = this.operations[id];
    if (operation === undefined) throw new RangeError(`no operation ${id}`);
    return operation;
  }

  private setOf(id: number): LinearizedSet {
    return this.isUnknown[id] === 1 ? this.unknown : this.completed;
  }

  private slotOf(id: number): number {
    return this.slot[id] ?? 0;
  }
}

/** The operation ids from the root to `top`. */
function pathOf<State>(top: Frame<State> | undefined): number[] {
  const path: number[] = [];
  for (let frame = top; frame !== undefined; frame = frame.parent) path.push(frame.id);
  return path.reverse();
}
