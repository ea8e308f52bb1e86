// ESLint flat config for the whole monorepo. Type-checked rules run on every TypeScript file
// listed by tsconfig.check.json (sources, tests, scripts, root configs); the layer rules at the
// bottom keep the Raft core pure and the simulator deterministic (STYLE.md §2, §7).
import { defineConfig, globalIgnores } from "eslint/config";
import js from "@eslint/js";
import tseslint from "typescript-eslint";
// eslint-plugin-import-x is pinned to 4.6.1, its last release resolving in plain JavaScript
// (enhanced-resolve): later ones need native resolver binaries that `npm ci` cannot lock here.
import importX from "eslint-plugin-import-x";

const tsFiles = ["**/*.ts", "**/*.mts", "**/*.cts"];
const jsFiles = ["**/*.js", "**/*.mjs", "**/*.cjs"];
const testFiles = ["packages/*/test/**/*.ts", "test/**/*.ts"];
const deterministicSources = ["packages/raft/src/**/*.ts", "packages/sim/src/**/*.ts"];

/** Node globals for the few plain JavaScript files (configs, scripts/*.mjs). */
const nodeGlobals = Object.fromEntries(
  [
    "process",
    "console",
    "Buffer",
    "URL",
    "URLSearchParams",
    "setTimeout",
    "clearTimeout",
    "setInterval",
    "clearInterval",
    "setImmediate",
    "structuredClone",
    "TextEncoder",
    "TextDecoder",
  ].map((name) => [name, "readonly"]),
);

/** Time and randomness enter the core and the simulator only through injected parameters. */
const nondeterminismGlobals = [
  { name: "Date", message: "Time is ticks here: take it from the caller, never the wall clock." },
  { name: "performance", message: "No wall-clock timing in deterministic code." },
];
const nondeterminismProperties = [
  {
    object: "Math",
    property: "random",
    message: "Randomness is a constructor argument (RandomSource), so a seed replays exactly.",
  },
  { object: "globalThis", property: "Date", message: "No wall clock in deterministic code." },
  { object: "globalThis", property: "performance", message: "No timing in deterministic code." },
];

export default defineConfig(
  globalIgnores(["**/dist/", "**/node_modules/", "**/coverage/", ".sim-out/"]),

  js.configs.recommended,

  // --- TypeScript: type-checked rules -------------------------------------------------------
  {
    files: tsFiles,
    extends: [tseslint.configs.recommendedTypeChecked],
    plugins: { "import-x": importX },
    languageOptions: {
      parserOptions: {
        // One program for everything, tests included. A new top-level folder of .ts files must
        // be added to tsconfig.check.json's "include" or the parser refuses its files.
        project: ["./tsconfig.check.json"],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    settings: {
      // What import-x needs to follow .ts files when it walks the import graph for no-cycle.
      "import-x/extensions": [".ts", ".mts", ".cts", ".js", ".mjs", ".cjs"],
      "import-x/external-module-folders": ["node_modules", "node_modules/@types"],
      "import-x/parsers": { "@typescript-eslint/parser": [".ts", ".mts", ".cts"] },
      "import-x/resolver-next": [
        importX.createNodeResolver({
          extensions: [".ts", ".mts", ".cts", ".js", ".mjs", ".cjs", ".json"],
          // Sources import "./x.js" for "./x.ts" (NodeNext); workspace packages resolve to src/
          // through the "@flotilla/source" condition (ADR 0002), as tsc and vitest do.
          extensionAlias: {
            ".js": [".ts", ".js"],
            ".mjs": [".mts", ".mjs"],
            ".cjs": [".cts", ".cjs"],
          },
          conditionNames: ["@flotilla/source", "import", "node", "default"],
        }),
      ],
    },
    rules: {
      // Floating promises are the first bug class of an async host (STYLE.md §7).
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/switch-exhaustiveness-check": "error",
      "@typescript-eslint/consistent-type-imports": [
        "error",
        { prefer: "type-imports", fixStyle: "inline-type-imports" },
      ],
      "@typescript-eslint/consistent-type-exports": "error",
      "@typescript-eslint/no-import-type-side-effects": "error",
      "@typescript-eslint/no-non-null-assertion": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_" },
      ],
      // Value imports only: type-only cycles are harmless and are skipped by the rule.
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      "import-x/no-self-import": "error",
      eqeqeq: ["error", "always"],
    },
  },

  // --- Plain JavaScript (this file, scripts/*.mjs): no type information ----------------------
  {
    files: jsFiles,
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: nodeGlobals },
  },

  // --- Tests: relax what is noise there, keep the promise rules ------------------------------
  {
    files: testFiles,
    rules: {
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/unbound-method": "off",
      "@typescript-eslint/require-await": "off",
      "@typescript-eslint/no-empty-function": "off",
    },
  },

  // --- Layers ----------------------------------------------------------------------------------
  {
    // Each package's public surface is an explicit list (STYLE.md §1).
    files: ["packages/*/src/**/*.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "ExportAllDeclaration",
          message: "List the exports by name: the public surface is explicit (no `export *`).",
        },
      ],
    },
  },
  {
    files: deterministicSources,
    rules: {
      "no-restricted-globals": ["error", ...nondeterminismGlobals],
      "no-restricted-properties": ["error", ...nondeterminismProperties],
    },
  },
  {
    // The Raft core depends on nothing: no node: modules, no packages, no files outside src/.
    files: ["packages/raft/src/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "^(?!\\.\\.?/)",
              message:
                "packages/raft/src imports only its own files (pure core, zero dependencies).",
            },
          ],
        },
      ],
      "import-x/no-restricted-paths": [
        "error",
        {
          basePath: import.meta.dirname,
          zones: [
            {
              target: "./packages/raft/src",
              from: "./",
              except: ["./packages/raft/src"],
              message: "packages/raft/src imports only its own files.",
            },
          ],
        },
      ],
      "no-restricted-syntax": [
        "error",
        {
          selector: "ExportAllDeclaration",
          message: "List the exports by name: the public surface is explicit (no `export *`).",
        },
        {
          selector: "ImportExpression",
          message: "No dynamic import in the pure core.",
        },
        {
          selector: "CallExpression[callee.name='require']",
          message: "No require in the pure core.",
        },
      ],
    },
  },
);
