// Bundles the TypeScript app into static/dist/ (not committed). Tornado's static_url adds a
// content hash to the URL, so browsers never run a stale bundle.
//
// `node build.mjs --tests` instead bundles every static/src/**/*.test.ts for Node's own test
// runner (node --test), outside the served static folder.
import * as esbuild from "esbuild";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

const TEST_OUT = "node_modules/.cache/whiteboard-tests";

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory()
      ? testFiles(join(dir, d.name))
      : d.name.endsWith(".test.ts")
        ? [join(dir, d.name)]
        : [],
  );
}

if (process.argv.includes("--tests")) {
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
    logLevel: "warning",
  });
} else {
  // Chunks are named by content hash: old ones would pile up.
  rmSync("static/dist", { recursive: true, force: true });
  await esbuild.build({
    entryPoints: ["static/src/main.ts"],
    bundle: true,
    // Code loaded on demand (the history view) goes to chunks of its own.
    splitting: true,
    minify: true,
    sourcemap: true,
    format: "esm",
    target: ["es2022"],
    outdir: "static/dist",
    logLevel: "warning",
  });
}
