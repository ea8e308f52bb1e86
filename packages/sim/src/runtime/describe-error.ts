/**
 * One line for an error a host handed the simulator (a rejection, a stream error), for
 * violation messages: `Name: message` for an Error, its string form otherwise.
 */

/** `error` on one line. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
