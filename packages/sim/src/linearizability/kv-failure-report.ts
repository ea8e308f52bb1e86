/**
 * Turns a key's non-linearizable sub-history into a short, honest explanation. It shrinks by
 * relaxing, never by deleting writes: a read is dropped, a completed write becomes "may have
 * taken effect at any time after its call, or never". Both only add linearizations, so whatever
 * still fails after relaxing is a conflict the real history has too; the few operations left
 * unrelaxed are the explanation.
 */
import { describeKvOperation, showValue } from "./describe-kv-operation.js";
import type { HistoryOperation } from "./history-operation.js";
import { kvKeyModel, type KvKeyState } from "./kv-model.js";
import type { IndexedOperation } from "./partition-by-key.js";
import type { Deadline } from "./search-budget.js";
import { shrinkFailure } from "./shrink-failure.js";
import { toKvSearch } from "./kv-search-input.js";
import { checkOperations } from "./wgl-checker.js";
import { WglVerdict, type WglResult } from "./wgl-result.js";

/** The operations behind a failure and the words that explain it. */
export interface KvFailureReport {
  /** The operations left unrelaxed: on their own they already have no linearization. */
  readonly operations: readonly IndexedOperation[];
  readonly explanation: string;
}

/**
 * Budgets for shrinking: at most `attemptsMax` searches, sharing `statesMax` memo entries, each
 * using at most `statesPerAttemptMax` (a relaxation too costly to decide is not made).
 */
export interface KvFailureReportOptions {
  readonly statesMax: number;
  readonly statesPerAttemptMax: number;
  readonly attemptsMax: number;
  /** When given, shrinking stops early once it expires (the report is then not fully shrunk). */
  readonly deadline?: Deadline;
}

/** How many operations an explanation lists before it summarizes the rest. */
const LISTED_OPERATIONS_MAX = 40;

/**
 * Explains why `operations` (one key's sub-history, known not to be linearizable) fail.
 *
 * @param key the key, for the text.
 * @param failure the search's answer on `operations` and the entries its ids refer to, used if
 *   shrinking cannot be confirmed.
 */
export function reportKvFailure(
  key: string,
  operations: readonly IndexedOperation[],
  failure: {
    readonly entries: readonly IndexedOperation[];
    readonly result: WglResult<KvKeyState>;
  },
  options: KvFailureReportOptions,
): KvFailureReport {
  let statesLeft = options.statesMax;
  let undecided = false; // some relaxation was refused for want of budget, not shown to fix it
  const fails = (unrelaxed: readonly IndexedOperation[]): boolean => {
    const witness = toKvSearch(relaxAllBut(operations, new Set(unrelaxed)));
    const result = checkOperations(kvKeyModel, witness.operations, {
      maxStates: Math.max(1, Math.min(statesLeft, options.statesPerAttemptMax)),
      ...(options.deadline === undefined ? {} : { deadline: options.deadline }),
    });
    statesLeft -= result.visitedStates;
    undecided ||= result.verdict === WglVerdict.exhausted;
    return result.verdict === WglVerdict.notLinearizable;
  };
  // Reads first: dropping them is cheap to check and turns most written values into unread
  // ones, which makes the searches over relaxed writes that follow much smaller.
  const reads = operations.filter(({ operation }) => isRead(operation));
  const writes = operations.filter(
    ({ operation }) => operation.returnTime !== undefined && !isRead(operation),
  );
  const keptReads = shrinkFailure(
    reads,
    (candidate) => fails([...candidate, ...writes]),
    options.attemptsMax,
  );
  const keptWrites = shrinkFailure(
    writes,
    (candidate) => fails([...keptReads.items, ...candidate]),
    options.attemptsMax,
  );
  const shrunk = {
    items: [...keptReads.items, ...keptWrites.items],
    minimal: keptReads.minimal && keptWrites.minimal && !undecided,
  };
  const core = [...shrunk.items].sort(byTimes);
  const witness = toKvSearch(relaxAllBut(operations, new Set(core)));
  const onWitness = checkOperations(kvKeyModel, witness.operations, {
    maxStates: Math.max(1, options.statesMax),
    ...(options.deadline === undefined ? {} : { deadline: options.deadline }),
  });
  if (onWitness.verdict !== WglVerdict.notLinearizable) {
    // Unconfirmed (out of budget): fall back to the whole sub-history and the first answer.
    const text = explain(key, operations, failure.entries, failure.result, operations.length);
    return { operations, explanation: text };
  }
  const text = explain(key, core, witness.entries, onWitness, operations.length, shrunk.minimal);
  return { operations: core, explanation: text };
}

/**
 * `operations` with every operation outside `kept` relaxed: reads (a `get`, a `cas` that did
 * not swap) dropped, since they changed nothing; writes turned into unknown outcomes.
 */
function relaxAllBut(
  operations: readonly IndexedOperation[],
  kept: ReadonlySet<IndexedOperation>,
): IndexedOperation[] {
  return operations.flatMap((entry): IndexedOperation[] => {
    const { input, output } = entry.operation;
    if (kept.has(entry) || output === undefined) return [entry];
    if (output.kind === "get" || (output.kind === "cas" && !output.ok)) return [];
    const relaxed: HistoryOperation = {
      ...entry.operation,
      returnTime: undefined,
      output: undefined,
    };
    return input.kind === "get" ? [] : [{ index: entry.index, operation: relaxed }];
  });
}

/** A completed operation that changed nothing: a `get`, or a `cas` that did not swap. */
function isRead({ output }: HistoryOperation): boolean {
  return output?.kind === "get" || (output?.kind === "cas" && !output.ok);
}

function byTimes(a: IndexedOperation, b: IndexedOperation): number {
  const callDelta = a.operation.callTime - b.operation.callTime;
  if (callDelta !== 0) return callDelta;
  const returnA = a.operation.returnTime ?? Infinity;
  const returnB = b.operation.returnTime ?? Infinity;
  if (returnA !== returnB) return returnA < returnB ? -1 : 1;
  return a.index - b.index;
}

/**
 * The text: a headline, the numbered core operations, and where the search got stuck.
 *
 * @param witness what the search ran on (`core` plus relaxed and unknown operations).
 * @param minimal whether relaxing any one more core operation was shown to remove the conflict;
 *   `undefined` when no shrinking took place.
 */
function explain(
  key: string,
  core: readonly IndexedOperation[],
  witness: readonly IndexedOperation[],
  result: WglResult<KvKeyState>,
  total: number,
  minimal?: boolean,
): string {
  const subject = `key ${JSON.stringify(key)} is not linearizable`;
  let headline = `${subject}: its ${total} operation(s) have no valid order:`;
  if (minimal !== undefined && core.length < total) {
    const these = core.length === 1 ? "this 1 of its" : `these ${core.length} of its`;
    const have = core.length === 1 ? "has" : "have";
    headline =
      `${subject}: ${these} ${total} operations ${have} no valid order, even if every other ` +
      "write took effect at any time after its call or never and every other read is ignored" +
      (minimal
        ? "; relaxing any one of them that way removes the conflict:"
        : " (not fully shrunk):");
  }
  const listed = core.slice(0, LISTED_OPERATIONS_MAX);
  const lines = [
    headline,
    ...listed.map((entry, at) => `  #${at + 1} ${describeKvOperation(entry)}`),
  ];
  if (core.length > listed.length) lines.push(`  … and ${core.length - listed.length} more`);
  lines.push(stuckLine(core, witness, result));
  return lines.join("\n");
}

/** Where the search got stuck, with the state replayed on the real values (not placeholders). */
function stuckLine(
  core: readonly IndexedOperation[],
  witness: readonly IndexedOperation[],
  result: WglResult<KvKeyState>,
): string {
  if (result.verdict !== WglVerdict.notLinearizable) return "";
  const labels = new Map(core.map((entry, at) => [entry.index, `#${at + 1}`]));
  const labelOf = (id: number): string => {
    const index = witness[id]?.index ?? -1;
    return labels.get(index) ?? `history[${index}]`;
  };
  const stuckEntry = witness[result.stuckOperation];
  const deadline = stuckEntry?.operation.returnTime;
  const stuck =
    `${labelOf(result.stuckOperation)} cannot take effect` +
    (deadline === undefined ? "" : ` before it returns at ${deadline}`);
  if (result.longestPrefix.length === 0) {
    return `No operation can go first: ${stuck} (the key starts absent).`;
  }
  let state: KvKeyState = kvKeyModel.init();
  for (const id of result.longestPrefix) {
    const operation = witness[id]?.operation;
    const step = operation && kvKeyModel.step(state, operation.input, operation.output);
    if (step?.accepted === true) state = step.state;
  }
  const inCore = result.longestPrefix.filter((id) => labels.has(witness[id]?.index ?? -1));
  const others = result.longestPrefix.length - inCore.length;
  const unlisted = others === 1 ? "1 write not listed" : `${others} writes not listed`;
  const order = [...inCore.map(labelOf), ...(others === 0 ? [] : [unlisted])].join(", ");
  return `Longest valid order: ${order} (leaving ${showValue(state)}); after it ${stuck}.`;
}
