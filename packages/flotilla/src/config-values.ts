/**
 * The checked readers of single configuration values (node-config.ts): each takes a value from
 * a flag, a `FLOTILLA_*` variable or the JSON file and returns it typed, or throws a
 * `ConfigError` naming the setting, so that no bad value reaches a timer, Raft or LMDB.
 */
import { statSync } from "node:fs";
import { isValidId } from "@flotilla/raft";
import { ConfigError } from "./config-error.js";

/** A string setting, or `fallback` when unset. @throws {ConfigError} for a non-string. */
export function text(value: unknown, fallback: string, name: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== "string")
    throw new ConfigError(`${name} must be a string, not ${quote(value)}`);
  return value;
}

/** A node, group or cluster id: one NATS subject token (ids.ts in @flotilla/raft). */
export function id(value: unknown, name: string): string {
  if (!isValidId(value)) {
    throw new ConfigError(`${name} must be 1 to 64 of A-Z a-z 0-9 _ -, not ${quote(value)}`);
  }
  return value;
}

/** A file path, or undefined when unset or empty. A NUL byte would make every fs call throw. */
export function optionalPath(value: unknown, name: string): string | undefined {
  const path = text(value, "", name);
  if (path.includes("\0")) throw new ConfigError(`${name} must not contain a NUL byte`);
  return path === "" ? undefined : path;
}

/**
 * A directory path that is a directory or does not exist yet (it is created at start-up).
 * Checked here so that a regular file there is a configuration error, not `EEXIST` from mkdir.
 */
export function directory(value: unknown, name: string): string {
  const path = optionalPath(value, name) ?? "";
  let isDirectory: boolean | undefined;
  try {
    isDirectory = statSync(path, { throwIfNoEntry: false })?.isDirectory();
  } catch (error) {
    // ENOTDIR (a parent is a file), EACCES, ENAMETOOLONG…: the node could not use it either.
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`${name} ${path}: ${reason}`);
  }
  if (isDirectory === false) throw new ConfigError(`${name} ${path} is not a directory`);
  return path;
}

/** A switch: true, false, or their spellings in the environment ("1"/"0", "true"/"false"). */
export function flag(value: unknown, name: string): boolean {
  if (value === undefined || value === "" || value === false) return false;
  if (value === true) return true;
  if (value === "1" || value === "true") return true;
  if (value === "0" || value === "false") return false;
  throw new ConfigError(`--${name} must be on or off (1/0, true/false), not ${quote(value)}`);
}

/**
 * A whole number within `bounds`: a JSON number, or decimal digits in a flag or variable.
 * `Number()` alone would take "", "0x10", "1e3", `true` and `[5]`; a safe-integer check keeps
 * 2^53 + 1 from standing for its neighbour.
 */
export function integer(
  value: unknown,
  name: string,
  bounds: { readonly min: number; readonly max: number },
): number {
  const n =
    typeof value === "number"
      ? value
      : typeof value === "string" && /^\s*-?[0-9]{1,20}\s*$/.test(value)
        ? Number(value)
        : Number.NaN;
  if (!Number.isSafeInteger(n) || n < bounds.min || n > bounds.max) {
    throw new ConfigError(
      `${name} must be an integer from ${bounds.min} to ${bounds.max}, not ${quote(value)}`,
    );
  }
  return n;
}

/** A value quoted for an error message, cut short so a huge input cannot flood the terminal. */
export function quote(value: unknown): string {
  let shown: string;
  try {
    shown = JSON.stringify(value) ?? String(value);
  } catch {
    shown = String(value);
  }
  return shown.length > 80 ? `${shown.slice(0, 77)}...` : shown;
}
