/**
 * Explains why one list key has no linearization: direct findings about reads (values nobody
 * appended in time, acknowledged appends a read misses), where the search got stuck (the longest
 * valid order, the list it leaves, the operation that could not go next), and the operations
 * around it. Unlike the register report it does not shrink: the findings name the
 * culprits in the common cases.
 */
import { describeList, listKeyModel, type ListOperation, type ListOutput } from "./list-model.js";
import type { TimedOperation, WglResult } from "./wgl-result.js";
import { WglVerdict } from "./wgl-result.js";
import type { ListState } from "./list-model.js";

/** One list operation with where it came from, for the text. */
export interface ListEntry {
  /** The record's index in the history. */
  readonly index: number;
  readonly clientId: string;
  /** What the search ran on; `returnTime === Infinity` for an unknown outcome. */
  readonly operation: TimedOperation<ListOperation, ListOutput>;
}

/** How many neighbouring operations the text lists. */
const NEIGHBOURS_SHOWN = 20;
/** How many findings of each kind the text lists. */
const FINDINGS_SHOWN = 5;

/**
 * The explanation for `entries` (one key's operations, the search's input in the same order)
 * given the search's `result`, which must be `not-linearizable`.
 */
export function explainListFailure(
  key: string,
  entries: readonly ListEntry[],
  result: WglResult<ListState>,
  positions: ReadonlyMap<string, number> = new Map(),
): string {
  if (result.verdict !== WglVerdict.notLinearizable) {
    throw new RangeError(`explainListFailure needs a failed search, got ${result.verdict}`);
  }
  const stuck = entries[result.stuckOperation];
  if (stuck === undefined) throw new RangeError(`no operation ${result.stuckOperation}`);
  const lines = [
    `key ${JSON.stringify(key)} is not linearizable: its ${entries.length} list operation(s) have no valid order.`,
    `Longest valid order found: ${result.longestPrefix.length} operation(s), leaving ` +
      `${listKeyModel.describeState(result.stateAfterPrefix)}; after it this one cannot take ` +
      `effect before it returns:`,
    `  ${describeListEntry(stuck)}`,
    ...pinNote(stuck, positions),
    ...allReadFindings(entries),
    "Operations around it (called before it returned, returned after the last one ordered):",
  ];
  const ordered = new Set(result.longestPrefix);
  const around = entries
    .filter(
      (entry, id) =>
        entry !== stuck &&
        !ordered.has(id) &&
        entry.operation.callTime <= stuck.operation.returnTime,
    )
    .slice(0, NEIGHBOURS_SHOWN);
  lines.push(...around.map((entry) => `  ${describeListEntry(entry)}`));
  if (around.length === 0) lines.push("  (none)");
  return lines.join("\n");
}

/** Why an append may be refused: a read pins where its value went. */
function pinNote(entry: ListEntry, positions: ReadonlyMap<string, number>): string[] {
  const { input } = entry.operation;
  const position = input.kind === "append" ? positions.get(input.value) : undefined;
  if (input.kind !== "append" || position === undefined) return [];
  return [
    `  (Appended once and read at index ${position}, ${JSON.stringify(input.value)} can only ` +
      `go onto a list of length ${position}.)`,
  ];
}

/** The findings about every read, each under the read it is about, up to a bound. */
function allReadFindings(entries: readonly ListEntry[]): string[] {
  const lines: string[] = [];
  let reads = 0;
  for (const entry of entries) {
    const findings = readFindings(entry, entries);
    if (findings.length === 0) continue;
    reads++;
    if (reads > FINDINGS_SHOWN) continue;
    lines.push(`A read contradicts the appends directly: ${describeListEntry(entry)}`, ...findings);
  }
  if (reads > FINDINGS_SHOWN) lines.push(`… and ${reads - FINDINGS_SHOWN} more such reads`);
  return lines;
}

/** For a read: values it shows that were never appended in time, and appends it misses. */
function readFindings(read: ListEntry, entries: readonly ListEntry[]): string[] {
  const output = read.operation.output;
  if (output?.kind !== "read-list") return [];
  const findings: string[] = [];
  const seen = countValues(output.values);
  const appendedInTime = countValues(
    entries
      .filter(({ operation }) => operation.callTime <= read.operation.returnTime)
      .flatMap(({ operation }) =>
        operation.input.kind === "append" ? [operation.input.value] : [],
      ),
  );
  for (const [value, times] of seen) {
    const appended = appendedInTime.get(value) ?? 0;
    if (times > appended) {
      findings.push(
        `  It shows ${JSON.stringify(value)} ${times} time(s), but only ${appended} append(s) of it ` +
          "were called before it returned.",
      );
    }
  }
  for (const entry of entries) {
    const { input, returnTime } = entry.operation;
    if (input.kind !== "append" || returnTime >= read.operation.callTime) continue;
    if ((seen.get(input.value) ?? 0) === 0) {
      findings.push(
        `  It misses ${JSON.stringify(input.value)}, appended by history[${entry.index}], ` +
          `acknowledged at ${returnTime} before the read was called at ${read.operation.callTime}.`,
      );
    }
  }
  if (findings.length <= FINDINGS_SHOWN) return findings;
  return [
    ...findings.slice(0, FINDINGS_SHOWN),
    `  … and ${findings.length - FINDINGS_SHOWN} more findings`,
  ];
}

function countValues(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

/**
 * One line per operation, e.g.
 * `history[7] client 2: read-list => ["a","b"] (called at 40, returned at 44)`.
 */
export function describeListEntry({ index, clientId, operation }: ListEntry): string {
  const { input, output, callTime, returnTime } = operation;
  const request = input.kind === "append" ? `append ${JSON.stringify(input.value)}` : "read-list";
  let answer = "outcome unknown";
  if (output?.kind === "read-list") answer = describeList(output.values);
  else if (output !== undefined) answer = "ok";
  const timing =
    returnTime === Infinity
      ? `called at ${callTime}, never returned`
      : `called at ${callTime}, returned at ${returnTime}`;
  return `history[${index}] client ${clientId}: ${request} => ${answer} (${timing})`;
}
