/**
 * Strict readers for decoded msgpack values: each checks one field's type and range and throws a
 * {@link WireFormatError} naming the field's path otherwise. The decoders are built from these
 * only, so no unchecked value reaches a Raft message.
 */
import { isValidId, type NodeId } from "@flotilla/raft";
import { WireFormatError } from "./wire-format-error.js";

/** An array of exactly `length` elements. */
export function readTuple(value: unknown, length: number, path: string): readonly unknown[] {
  const array = readArray(value, path);
  if (array.length !== length) {
    throw new WireFormatError(path, `expected ${length} elements, got ${array.length}`);
  }
  return array;
}

/** Any array. */
export function readArray(value: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(value))
    throw new WireFormatError(path, `expected an array, got ${kind(value)}`);
  return value as readonly unknown[];
}

/** A non-negative safe integer (an index, a term, a count). */
export function readUint(value: unknown, path: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new WireFormatError(path, `expected a non-negative integer, got ${kind(value)}`);
  }
  return value;
}

/** A boolean. */
export function readBool(value: unknown, path: string): boolean {
  if (typeof value !== "boolean")
    throw new WireFormatError(path, `expected a boolean, got ${kind(value)}`);
  return value;
}

/** A string. */
export function readString(value: unknown, path: string): string {
  if (typeof value !== "string")
    throw new WireFormatError(path, `expected a string, got ${kind(value)}`);
  return value;
}

/** A node, group or cluster id (`[A-Za-z0-9_-]{1,64}`). */
export function readId(value: unknown, path: string): string {
  if (!isValidId(value)) throw new WireFormatError(path, `expected an id, got ${kind(value)}`);
  return value;
}

/** A node id. */
export function readNodeId(value: unknown, path: string): NodeId {
  return readId(value, path) as NodeId;
}

/** A list of node ids. */
export function readNodeIds(value: unknown, path: string): NodeId[] {
  return readArray(value, path).map((item, i) => readNodeId(item, `${path}[${i}]`));
}

/** `bin` bytes, copied into a plain Uint8Array of their own. */
export function readBytes(value: unknown, path: string): Uint8Array {
  if (!(value instanceof Uint8Array))
    throw new WireFormatError(path, `expected bytes, got ${kind(value)}`);
  return new Uint8Array(value);
}

/** `bin` bytes or nil. */
export function readOptionalBytes(value: unknown, path: string): Uint8Array | undefined {
  return value === null ? undefined : readBytes(value, path);
}

/** A short description of a value's type for error messages (never the value itself). */
function kind(value: unknown): string {
  if (value === null) return "nil";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value instanceof Uint8Array) return `${value.byteLength} bytes`;
  if (typeof value === "number")
    return Number.isInteger(value) ? `the integer ${value}` : "a float";
  if (typeof value === "string") return `a string of ${value.length}`;
  if (typeof value === "object") return "a map or extension";
  return typeof value;
}
