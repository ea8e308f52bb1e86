/**
 * A mistake in the node process's configuration (flags, `FLOTILLA_*` variables, the JSON file):
 * the CLI prints it with the usage and exits 2.
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}
