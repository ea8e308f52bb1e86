/**
 * What the scenarios' own writer processes (fan-out-writer.ts, disk-growth-writer.ts) share:
 * JSON-line events on stdout, an error's short name for counting, a bound on any promise, and
 * the pause after a failed proposal.
 */

/** Pause after a failed proposal, so a broken cluster does not spin the loop. */
export const ERROR_BACKOFF_MS = 10;

/** Writes `event` as one JSON line on stdout (the parent reads them). */
export function emit(event: unknown): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

/** A typed error's `code` (Flotilla's errors carry one), else its name. */
export function errorName(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" ? code : error.name;
  }
  return "unknown";
}

/** `promise`, or a rejection naming `what` once `ms` pass. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
