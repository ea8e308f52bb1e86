/**
 * A client command as the runtime-mode clients propose it: the KV command plus a tag naming this
 * one attempt (`client#seq#attempt`). The state machine ignores the tag (it deduplicates by
 * client and seq); the checkers use it to tell attempts of the same write apart, so an attempt
 * rejected as "certainly not applied" can be proved never to apply.
 */
import type { KvCommand } from "../kv-command.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The bytes of `command` tagged with `attempt` (JSON, as `encodeKvCommand` writes it). */
export function encodeAttempt(command: KvCommand, attempt: string): Uint8Array {
  return encoder.encode(
    JSON.stringify({ ...command, attempt }, (_key, value: unknown) => value ?? null),
  );
}

/** The attempt tag in `data`, if it is a tagged client command. */
export function attemptOf(data: Uint8Array): string | undefined {
  const raw = JSON.parse(decoder.decode(data)) as { attempt?: unknown };
  return typeof raw.attempt === "string" ? raw.attempt : undefined;
}
