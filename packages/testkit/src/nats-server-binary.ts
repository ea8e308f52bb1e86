/**
 * Finds the `nats-server` executable: on PATH first, then Debian's `/usr/sbin/nats-server`, which
 * is off an ordinary user's PATH (REFERENCE.md).
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { NatsServerNotFoundError } from "./testkit-errors.js";

/** Where Debian's `nats-server` package installs the binary. */
export const DEBIAN_NATS_SERVER_PATH = "/usr/sbin/nats-server";

/**
 * The path of an executable `nats-server`.
 *
 * @param searchPath the PATH to search (default: `process.env.PATH`).
 * @param fallbacks paths tried after PATH (default: Debian's).
 * @throws {NatsServerNotFoundError} with the install hint when there is none.
 * @example
 * const binary = findNatsServerBinary(); // "/usr/sbin/nats-server"
 */
export function findNatsServerBinary(
  searchPath: string = process.env["PATH"] ?? "",
  fallbacks: readonly string[] = [DEBIAN_NATS_SERVER_PATH],
): string {
  const candidates = [
    ...searchPath
      .split(delimiter)
      .filter((dir) => dir !== "")
      .map((dir) => join(dir, "nats-server")),
    ...fallbacks,
  ];
  for (const candidate of candidates) {
    if (isExecutable(candidate)) return candidate;
  }
  throw new NatsServerNotFoundError(candidates);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
