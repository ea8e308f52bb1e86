// Exits 0 when node_modules matches package-lock.json, 1 when `npm ci` is needed (and says why).
// It compares the lockfile with npm's own record of what it installed, node_modules/.package-lock.json:
// same packages at the same versions, and every installed package's folder still on disk.
// Optional packages for other platforms (esbuild's, rolldown's binaries) are in the lockfile only.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");

/** Reads a lockfile's `packages` map, or returns undefined when the file is missing or broken. */
function readPackages(path) {
  try {
    const lock = JSON.parse(readFileSync(path, "utf8"));
    return lock.packages ?? undefined;
  } catch {
    return undefined;
  }
}

/** The first reason node_modules is stale, or undefined when it is current. */
function staleReason() {
  const wanted = readPackages(join(root, "package-lock.json"));
  if (wanted === undefined) return "package-lock.json is missing or unreadable";
  const installed = readPackages(join(root, "node_modules", ".package-lock.json"));
  if (installed === undefined) return "node_modules/.package-lock.json is missing (no install yet)";

  for (const [path, entry] of Object.entries(installed)) {
    const expected = wanted[path];
    if (expected === undefined) return `${path} is installed but not in package-lock.json`;
    for (const field of ["version", "resolved", "link"]) {
      if (expected[field] !== entry[field]) {
        return `${path}: ${field} ${String(entry[field])} installed, ${String(expected[field])} locked`;
      }
    }
    if (!existsSync(join(root, path)))
      return `${path} is recorded as installed but missing on disk`;
  }
  for (const [path, entry] of Object.entries(wanted)) {
    if (path === "" || path in installed) continue;
    if (entry.optional === true || entry.devOptional === true) continue;
    return `${path} is locked but not installed`;
  }
  return undefined;
}

const reason = staleReason();
if (reason === undefined) {
  console.log("node_modules matches package-lock.json");
  process.exit(0);
}
console.log(`node_modules is stale: ${reason}`);
process.exit(1);
