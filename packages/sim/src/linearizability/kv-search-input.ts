/**
 * Prepares one key's history entries for the search, guarding three rules. An unknown outcome
 * becomes `returnTime = Infinity` with no output: "may take effect any time after the call, or
 * never". Every written value that no operation compares the state with becomes one shared
 * placeholder, which changes no answer (nothing tells such values apart) but makes the unknown
 * writes of them identical. And when no completed compare-and-set failed, unknown writes of such
 * values are left out, which also changes no answer (below).
 */
import type { KvOperation, KvOutput } from "./history-operation.js";
import type { IndexedOperation } from "./partition-by-key.js";
import type { TimedOperation } from "./wgl-result.js";

/** The placeholder's text, extended with `'` until no real value of the key equals it. */
export const UNREAD_VALUE_PLACEHOLDER = "<a value no read observed>";

/** What the search runs on; `operations[i]` stands for `entries[i]`. */
export interface KvSearchInput {
  readonly entries: readonly IndexedOperation[];
  readonly operations: readonly TimedOperation<KvOperation, KvOutput>[];
}

/**
 * The search's view of `entries` (one key's operations).
 *
 * Why an unknown write of an unread value may go: in any linearization, while the state holds
 * that value, the only completed operations that can take effect are puts and deletes, which end
 * that stretch (a read would have to see the value, a successful compare-and-set expect it, and
 * by assumption none failed), and unknown compare-and-sets there are no-ops. So dropping the
 * write, and those no-ops, leaves a linearization of the rest; the converse is immediate, since
 * an unknown write may never have happened.
 */
export function toKvSearch(entries: readonly IndexedOperation[]): KvSearchInput {
  const observed = observedValues(entries);
  const placeholder = freshPlaceholder(entries);
  const anyCasFailed = entries.some(
    ({ operation }) => operation.output?.kind === "cas" && !operation.output.ok,
  );
  const isUnread = (value: string | undefined): boolean =>
    value === undefined ? !observed.absent : !observed.values.has(value);
  const kept = entries.filter(({ operation: { input, returnTime } }) => {
    if (anyCasFailed || returnTime !== undefined || input.kind === "get") return true;
    return !isUnread(input.kind === "delete" ? undefined : input.value);
  });
  const operations = kept.map(({ operation }) => {
    const { input } = operation;
    let searched: KvOperation = input;
    if ((input.kind === "put" || input.kind === "cas") && isUnread(input.value)) {
      searched = { ...input, value: placeholder };
    }
    return {
      input: searched,
      output: operation.output,
      callTime: operation.callTime,
      returnTime: operation.returnTime ?? Infinity,
    };
  });
  return { entries: kept, operations };
}

/**
 * The values some operation compares the state with: what a `get` returned and what a `cas`
 * expected (whatever its outcome), and whether any of them is "absent".
 */
function observedValues(entries: readonly IndexedOperation[]): {
  readonly values: ReadonlySet<string>;
  readonly absent: boolean;
} {
  const values = new Set<string>();
  let absent = false;
  const see = (value: string | undefined): void => {
    if (value === undefined) absent = true;
    else values.add(value);
  };
  for (const { operation } of entries) {
    const { input, output } = operation;
    if (output?.kind === "get") see(output.value);
    if (input.kind === "cas") see(input.expected);
  }
  return { values, absent };
}

function freshPlaceholder(entries: readonly IndexedOperation[]): string {
  const values = new Set<string>();
  for (const { operation } of entries) {
    const { input, output } = operation;
    if (input.kind === "put" || input.kind === "cas") values.add(input.value);
    if (input.kind === "cas" && input.expected !== undefined) values.add(input.expected);
    if (output?.kind === "get" && output.value !== undefined) values.add(output.value);
  }
  let placeholder = UNREAD_VALUE_PLACEHOLDER;
  while (values.has(placeholder)) placeholder += "'";
  return placeholder;
}
