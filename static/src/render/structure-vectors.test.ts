/**
 * The shared vectors of notes, labels and attached ends (tests/vectors/layout.json and
 * bindings.json, README there): the app must break lines, fit notes and place attached ends
 * exactly as the server's export.svg does (tests/unit/test_export_vectors.py runs the same
 * files through whiteboard/export/).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import type { Element, LineElement } from "../model/types";
import { resolveLine } from "./bindings";
import { fitSize, lineY, textBlock, wrap } from "./layout";

interface Layout {
  wrap: { name: string; text: string; size: number; width: number; lines: string[] }[];
  fit: { name: string; text: string; width: number; height: number; size: number }[];
  blocks: { name: string; element: Element; block: unknown }[];
}
interface Binding {
  name: string;
  elements: Element[];
  line: LineElement;
  drawn: { x: number; y: number; w: number; h: number };
}

const layout = JSON.parse(readFileSync("tests/vectors/layout.json", "utf8")) as Layout;
const bindings = JSON.parse(readFileSync("tests/vectors/bindings.json", "utf8")) as Binding[];

for (const c of layout.wrap) {
  test(`wrap: ${c.name}`, () => assert.deepEqual(wrap(c.text, c.size, c.width), c.lines));
}
for (const c of layout.fit) {
  test(`fit: ${c.name}`, () => assert.equal(fitSize(c.text, c.width, c.height), c.size));
}
for (const c of layout.blocks) {
  test(`text block: ${c.name}`, () => {
    const b = textBlock(c.element);
    const got = b && { ...b, baselines: b.lines.map((_, i) => lineY(b, i)) };
    assert.deepEqual(got, c.block);
  });
}

for (const c of bindings) {
  test(`attached ends: ${c.name}`, () => {
    const live = new Map(c.elements.map((e) => [e.id, e]));
    const got = resolveLine(c.line, (id) => live.get(id));
    for (const k of ["x", "y", "w", "h"] as const) {
      assert.ok(Math.abs(got[k] - c.drawn[k]) < 1e-9, `${k}: ${got[k]} != ${c.drawn[k]}`);
    }
  });
}
