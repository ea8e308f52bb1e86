/**
 * Every `ts` code block in README.md is type-checked: it must appear verbatim in a file of
 * docs/snippets/, which the typecheck covers. A block edited in the README alone fails here.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

function normalize(code: string): string {
  return code
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .join("\n");
}

const readme = readFileSync(join(ROOT, "README.md"), "utf8");
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] ?? "");
const snippets = readdirSync(join(ROOT, "docs", "snippets"))
  .filter((file) => file.endsWith(".ts"))
  .map((file) => normalize(readFileSync(join(ROOT, "docs", "snippets", file), "utf8")));

describe("README code blocks", () => {
  it("has ts blocks to check", () => {
    expect(blocks.length).toBeGreaterThan(0);
  });

  it.each(blocks.map((block, i) => [i + 1, block] as const))(
    "block %i appears in docs/snippets (so it is type-checked)",
    (_, block) => {
      expect(snippets.some((snippet) => snippet.includes(normalize(block)))).toBe(true);
    },
  );
});

describe("examples' README code blocks", () => {
  const examples = readdirSync(join(ROOT, "examples"), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .filter((name) => readdirSync(join(ROOT, "examples", name)).includes("README.md"));

  it.each(examples)("examples/%s: every ts block appears in the example's code", (name) => {
    const dir = join(ROOT, "examples", name);
    const text = readFileSync(join(dir, "README.md"), "utf8");
    const sources = readdirSync(dir)
      .filter((file) => file.endsWith(".ts"))
      .map((file) => normalize(readFileSync(join(dir, file), "utf8")));
    const missing = [...text.matchAll(/```ts\n([\s\S]*?)```/g)]
      .map((match) => match[1] ?? "")
      .filter((block) => !sources.some((source) => source.includes(normalize(block))));
    expect(missing).toEqual([]);
  });
});
