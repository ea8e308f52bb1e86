/**
 * Which object each key of a history holds, a register or a list, and the guard that a key holds
 * only one: a history that appends to a register key is malformed, not merely non-linearizable,
 * because no model gives such a mix a meaning.
 */
import type { CheckedRecord } from "./checked-record.js";
import { OBJECT_KIND_OF_OP, type ObjectKind } from "./history-record.js";
import { MalformedHistoryError, type RecordLocation } from "./malformed-history-error.js";

/**
 * The object kind of every key, in order of first appearance.
 *
 * @param locate where record `i` sits, for the error.
 * @throws {MalformedHistoryError} at the first record whose operation does not fit its key's
 *   kind, naming the record that set the kind.
 */
export function objectKindsByKey(
  records: readonly CheckedRecord[],
  locate: (index: number) => RecordLocation,
): ReadonlyMap<string, ObjectKind> {
  const kinds = new Map<string, { readonly kind: ObjectKind; readonly first: number }>();
  records.forEach((record, index) => {
    const kind = OBJECT_KIND_OF_OP[record.op];
    const seen = kinds.get(record.key);
    if (seen === undefined) {
      kinds.set(record.key, { kind, first: index });
    } else if (seen.kind !== kind) {
      const where = locate(seen.first);
      const first = where.line === undefined ? `history[${where.index}]` : `line ${where.line}`;
      throw new MalformedHistoryError(
        locate(index),
        `key ${JSON.stringify(record.key)} is a ${seen.kind} (since ${first}), but this is a ${record.op}`,
      );
    }
  });
  return new Map([...kinds].map(([key, { kind }]) => [key, kind]));
}
