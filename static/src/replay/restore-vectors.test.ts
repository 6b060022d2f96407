/**
 * The shared vectors of "restore this version" (tests/vectors/restore.json, see its README)
 * against restoreOps; tests/unit/test_rebuild_vectors.py runs them against the server's
 * restore_ops, so both sides compute the very same ops. Each case also checks what makes it
 * right: its log gives `current` and `past`, and the ops, validated and applied to `current`,
 * give `past` exactly, stacking included.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Document } from "../model/document";
import type { Element, Limits, OpBody } from "../model/types";
import { DEFAULT_LIMITS } from "../model/types";
import { parseOp } from "../model/validate";
import { restoreOps } from "./restore";

interface Case {
  name: string;
  limits?: Partial<Limits>;
  log: OpBody[];
  at: number;
  current: Element[];
  past: Element[];
  ops: OpBody[];
}

const cases = JSON.parse(readFileSync("tests/vectors/restore.json", "utf8")) as Case[];

/** Applies client ops as the server would: validated, then one seq each. */
function applyAll(doc: Document, ops: readonly OpBody[], from: number): number {
  let seq = from;
  for (const op of ops) {
    const parsed = parseOp(structuredClone({ ...op, c: seq + 1 }), doc.limits);
    assert.ok(parsed.ok, `${JSON.stringify(op)} is refused: ${parsed.ok || parsed.code}`);
    const out = doc.apply(parsed.value, seq + 1);
    assert.ok(out.ok, `${JSON.stringify(op)} does not apply: ${out.ok || out.code}`);
    seq += 1;
  }
  return seq;
}

for (const cs of cases) {
  test(`restore: ${cs.name}`, () => {
    const limits = { ...DEFAULT_LIMITS, ...cs.limits };
    const head = new Document(limits);
    const seq = applyAll(head, cs.log, 0);
    assert.deepEqual(head.elements(), cs.current, "the log gives `current`");
    const then = new Document(limits);
    applyAll(then, cs.log.slice(0, cs.at), 0);
    assert.deepEqual(then.elements(), cs.past, "the log up to `at` gives `past`");

    const ops = restoreOps(cs.current, cs.past, limits);
    assert.deepEqual(ops, cs.ops);

    applyAll(head, ops, seq);
    assert.deepEqual(head.elements(), cs.past, "the ops bring the board back");
  });
}
