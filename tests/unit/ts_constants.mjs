// Prints, as JSON, the values the TypeScript app holds for rules the server also defines, for
// tests/unit/test_ts_constants.py. The app's modules are bundled with esbuild and run, so what
// is compared is what the browser computes, not a reading of its source.
//
// stdin: {"probes": [string, ...]}, strings to test the app's id patterns against (a pattern
// is compared by what it accepts: JavaScript and Python spell the same one differently).
import * as esbuild from "esbuild";
import { readFileSync } from "node:fs";

const ENTRY = `
export { BOARD_PATTERN, COORD_MAX, FIELDS, ID_PATTERN, MAX_IDS_PER_DELETE } from "./static/src/model/validate";
export { DEFAULT_LIMITS } from "./static/src/model/types";
`;

const { probes } = JSON.parse(readFileSync(0, "utf8"));
const built = await esbuild.build({
  stdin: { contents: ENTRY, resolveDir: process.cwd(), loader: "ts" },
  bundle: true,
  write: false,
  format: "esm",
  platform: "node",
  define: { __TEST_HOOKS__: "false" },
  logLevel: "warning",
});
const code = built.outputFiles[0].text;
const app = await import("data:text/javascript;base64," + Buffer.from(code).toString("base64"));

console.log(
  JSON.stringify({
    board_pattern: probes.map((p) => app.BOARD_PATTERN.test(p)),
    id_pattern: probes.map((p) => app.ID_PATTERN.test(p)),
    ids_per_delete: app.MAX_IDS_PER_DELETE,
    coord_max: app.COORD_MAX,
    fields: app.FIELDS,
    default_limits: app.DEFAULT_LIMITS,
  }),
);
