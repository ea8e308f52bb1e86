/**
 * State machines by kind: a group hosted by the node process names its kind, and the node
 * builds its state machine from the kind's factory. `kv` and `log` are built in; a module given
 * with `--kinds` adds more (its default export, or its `kinds` export: `{ [kind]: () => machine }`).
 */
import { pathToFileURL } from "node:url";
import type { StateMachine } from "@flotilla/runtime";
import { ConfigError } from "../node-config.js";
import { KvStateMachine } from "./kv-state-machine.js";
import { LogStateMachine } from "./log-state-machine.js";

/** A state machine of a group hosted by the node process: msgpack values in and out. */
export type AnyStateMachine = StateMachine<unknown, unknown, unknown, unknown>;

/** Builds a fresh state machine per replica. */
export type StateMachineFactory = () => AnyStateMachine;

/** The kinds every node knows. */
export const BUILT_IN_KINDS: Readonly<Record<string, StateMachineFactory>> = {
  kv: () => new KvStateMachine(),
  log: () => new LogStateMachine(),
};

/** The built-in kinds plus those of the module at `path`, if given. @throws {ConfigError} */
export async function loadKinds(
  path: string | undefined,
): Promise<Map<string, StateMachineFactory>> {
  const kinds = new Map(Object.entries(BUILT_IN_KINDS));
  if (path === undefined) return kinds;
  const loaded = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  const table = (loaded["kinds"] ?? loaded["default"]) as Record<string, unknown> | undefined;
  if (typeof table !== "object" || table === null) {
    throw new ConfigError(
      `${path}: export { kinds } or a default object of state machine factories`,
    );
  }
  for (const [kind, factory] of Object.entries(table)) {
    if (typeof factory !== "function")
      throw new ConfigError(`${path}: kind ${kind} is not a function`);
    kinds.set(kind, factory as StateMachineFactory);
  }
  return kinds;
}
