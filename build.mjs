// Bundles the TypeScript app into static/dist/ (not committed). Tornado's static_url adds a
// content hash to the URL, so browsers never run a stale bundle.
//
// `node build.mjs --e2e --outdir DIR` bundles the same app with its test hooks (window.__wb,
// see static/src/testing/) into DIR: the browser tests serve that bundle in place of
// static/dist (tests/e2e/conftest.py), so what `make run` serves carries no test code.
// `--outdir DIR` alone puts the production bundle in DIR instead of static/dist.
//
// `node build.mjs --tests` instead bundles every static/src/**/*.test.ts for Node's own test
// runner (node --test), outside the served static folder.
import * as esbuild from "esbuild";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const TEST_OUT = "node_modules/.cache/whiteboard-tests";
const args = process.argv.slice(2);

function option(name) {
  const i = args.indexOf(name);
  if (i < 0) return null;
  const value = args[i + 1];
  if (value === undefined || value.startsWith("--")) throw new Error(`${name} needs a value`);
  return value;
}

/** One file per language: adding static/src/i18n/locales/xx.json adds the language. */
const LOCALES = readdirSync("static/src/i18n/locales")
  .filter((f) => f.endsWith(".json"))
  .map((f) => f.slice(0, -".json".length))
  .sort();

/** Compile-time flags (declared in static/src/flags.d.ts); false leaves the code out. */
function flags(testHooks) {
  return { __TEST_HOOKS__: testHooks ? "true" : "false", __LOCALES__: JSON.stringify(LOCALES) };
}

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory()
      ? testFiles(join(dir, d.name))
      : d.name.endsWith(".test.ts")
        ? [join(dir, d.name)]
        : [],
  );
}

if (args.includes("--tests")) {
  // A renamed or moved test must not keep running from an old bundle.
  rmSync(TEST_OUT, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: testFiles("static/src"),
    bundle: true,
    platform: "node",
    format: "esm",
    target: ["node20"],
    outdir: TEST_OUT,
    outExtension: { ".js": ".mjs" },
    define: flags(false),
    logLevel: "warning",
  });
} else {
  const e2e = args.includes("--e2e");
  const outdir = option("--outdir") ?? (e2e ? null : "static/dist");
  if (outdir === null)
    throw new Error("--e2e needs --outdir: static/dist is what `make run` serves");
  // Chunks are named by content hash: old ones would pile up.
  rmSync(outdir, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: ["static/src/main.ts"],
    bundle: true,
    // Code loaded on demand (the history view) goes to chunks of its own.
    splitting: true,
    minify: true,
    sourcemap: true,
    format: "esm",
    target: ["es2022"],
    outdir,
    define: flags(e2e),
    logLevel: "warning",
  });
  // The service worker, at a stable name (the server serves it as /sw.js). Its cache is named
  // after a hash of the bundle, so every build that changes the app changes this file, and
  // browsers replace the worker and drop the old cache.
  const hash = createHash("sha256");
  for (const f of readdirSync(outdir).sort()) hash.update(f).update(readFileSync(join(outdir, f)));
  await esbuild.build({
    entryPoints: ["static/src/pwa/sw.ts"],
    bundle: true,
    minify: true,
    format: "iife",
    target: ["es2022"],
    outfile: join(outdir, "sw.js"),
    define: { __SW_VERSION__: JSON.stringify(hash.digest("hex").slice(0, 16)) },
    logLevel: "warning",
  });
}
