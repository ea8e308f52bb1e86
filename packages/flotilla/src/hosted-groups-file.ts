/**
 * The groups a node hosts and their kinds survive restarts: the node records them beside its
 * LMDB environment (`hosted-groups.json`, written to a temp file, synced, then renamed, so a
 * crash leaves the old or the new list, never half of one). Memberships live in LMDB itself.
 */
import { open, readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import type { GroupSpec } from "./node-config.js";

const FILE = "hosted-groups.json";

/** The groups recorded in `dataDir` (none when the file does not exist yet). */
export async function readHostedGroups(dataDir: string): Promise<GroupSpec[]> {
  let text: string;
  try {
    text = await readFile(join(dataDir, FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const parsed = JSON.parse(text) as { groups?: GroupSpec[] };
  return parsed.groups ?? [];
}

/** Records `groups` in `dataDir`, durably. */
export async function writeHostedGroups(
  dataDir: string,
  groups: readonly GroupSpec[],
): Promise<void> {
  const path = join(dataDir, FILE);
  const temp = `${path}.tmp`;
  const handle = await open(temp, "w");
  try {
    await handle.writeFile(JSON.stringify({ groups }, null, 2));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
}
