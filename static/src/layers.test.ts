/**
 * The folders of static/src are layers: a folder may import from another only if that one never
 * imports back, directly or through a third. A cycle between folders (as ui/ and replay/ once
 * had) means neither can be read, changed or loaded on demand without the other; this test
 * names the imports that close one.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { test } from "node:test";

const ROOT = "static/src";

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory()
      ? sources(join(dir, d.name))
      : d.name.endsWith(".ts") && !d.name.endsWith(".test.ts")
        ? [join(dir, d.name)]
        : [],
  );
}

/** The folder of a file, relative to static/src ("." for the top level). */
function folder(file: string): string {
  return relative(ROOT, dirname(file)) || ".";
}

/** folder -> folder it imports -> the imports that make the edge, as "file: specifier". */
function folderGraph(): Map<string, Map<string, string[]>> {
  const graph = new Map<string, Map<string, string[]>>();
  for (const file of sources(ROOT)) {
    const from = folder(file);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/\bfrom\s+"(\.[^"]+)"|\bimport\(\s*"(\.[^"]+)"\s*\)/g)) {
      const spec = (m[1] ?? m[2]) as string;
      const to = folder(normalize(join(dirname(file), spec)) + ".ts");
      if (to === from) continue;
      const edges = graph.get(from) ?? new Map<string, string[]>();
      graph.set(from, edges);
      edges.set(to, [...(edges.get(to) ?? []), `${relative(ROOT, file)}: ${spec}`]);
    }
  }
  return graph;
}

/** A path of folders from `start` back to itself, or null. */
function cycleFrom(graph: Map<string, Map<string, string[]>>, start: string): string[] | null {
  const seen = new Set<string>();
  const walk = (at: string, path: string[]): string[] | null => {
    for (const next of graph.get(at)?.keys() ?? []) {
      if (next === start) return [...path, next];
      if (seen.has(next)) continue;
      seen.add(next);
      const found = walk(next, [...path, next]);
      if (found) return found;
    }
    return null;
  };
  return walk(start, [start]);
}

test("the folders of static/src import each other in one direction only", () => {
  const graph = folderGraph();
  assert.ok(graph.size > 5, "the import scan found the folders");
  for (const start of graph.keys()) {
    const cycle = cycleFrom(graph, start);
    if (!cycle) continue;
    const edges = cycle
      .slice(1)
      .map((to, i) => `${cycle[i]} -> ${to} (${graph.get(cycle[i] as string)?.get(to)?.[0]})`);
    assert.fail(`import cycle between folders:\n  ${edges.join("\n  ")}`);
  }
});

test("the history view's files live in replay/: ui/ does not import it", () => {
  const ui = folderGraph().get("ui");
  assert.ok(ui, "ui/ imports other folders");
  assert.deepEqual(ui.get("replay") ?? [], []);
});
