// Bundles the TypeScript app into static/dist/ (not committed). Tornado's static_url adds a
// content hash to the URL, so browsers never run a stale bundle.
import * as esbuild from "esbuild";

await esbuild.build({
  entryPoints: ["static/src/main.ts"],
  bundle: true,
  minify: true,
  sourcemap: true,
  format: "esm",
  target: ["es2022"],
  outdir: "static/dist",
  logLevel: "warning",
});
