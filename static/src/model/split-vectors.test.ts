/**
 * The shared vectors of pen splitting (tests/vectors/split.json, see its README) against
 * splitAdd; tests/unit/test_rebuild_vectors.py runs them against the server's element_ops. The
 * ops must pass the protocol's validation under the case's limits (no op over
 * `values_per_op`) and build exactly the element.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Document } from "./document";
import { splitAdd } from "./split";
import type { Element, Limits, OpBody } from "./types";
import { DEFAULT_LIMITS } from "./types";
import { parseOp } from "./validate";

interface Case {
  name: string;
  limits?: Partial<Limits>;
  element: Element;
  ops: OpBody[];
}

const cases = JSON.parse(readFileSync("tests/vectors/split.json", "utf8")) as Case[];

for (const cs of cases) {
  test(`split: ${cs.name}`, () => {
    const limits = { ...DEFAULT_LIMITS, ...cs.limits };
    const ops = splitAdd(cs.element, limits);
    assert.deepEqual(ops, cs.ops);

    const doc = new Document(limits);
    ops.forEach((op, i) => {
      const parsed = parseOp(structuredClone({ ...op, c: i + 1 }), limits);
      assert.ok(parsed.ok, `op ${i} is refused: ${parsed.ok || parsed.code}`);
      assert.ok(doc.apply(parsed.value, i + 1).ok, `op ${i} does not apply`);
    });
    assert.deepEqual(doc.elements(), [cs.element]);
  });
}
