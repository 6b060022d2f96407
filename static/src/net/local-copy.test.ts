/**
 * The local copy a page opened offline starts from: a saved model comes back as it was (state,
 * stacking, waiting edits and their `c`), and a damaged copy is ignored rather than shown.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Model } from "../model/model";
import type { Element, ServerOp } from "../model/types";
import { DEFAULT_LIMITS } from "../model/types";
import { parseCopy } from "./local-copy";

const rect = (id: string, x = 0): Element => ({
  id,
  type: "rect",
  x,
  y: 0,
  stroke: "#000000",
  width: 2,
  w: 10,
  h: 10,
});

function savedBoard(): { model: Model; raw: unknown } {
  const model = new Model();
  model.addClientId(7);
  const ops = [
    { k: "add", c: 1, e: rect("a"), s: 1, by: 9 },
    { k: "add", c: 1, e: rect("b", 20), s: 2, by: 9 },
  ] as ServerOp[];
  model.receive(ops);
  assert.ok(model.propose({ k: "update", id: "a", set: { x: 50 } }).ok);
  assert.ok(model.propose({ k: "add", e: rect("c", 40) }).ok);
  model.takeUnsent(1);
  // Through JSON, as localStorage keeps it.
  const raw: unknown = JSON.parse(
    JSON.stringify({ v: 1, ...model.saved(), prev: { id: 7, token: "t" } }),
  );
  return { model, raw };
}

test("a later page never reuses a c that the saving page used, even for acknowledged ops", () => {
  const model = new Model();
  model.addClientId(7);
  for (const id of ["a", "b", "c"]) assert.ok(model.propose({ k: "add", e: rect(id) }).ok);
  model.receive(model.takeUnsent().map((op, i) => ({ ...op, s: i + 1, by: 7 }) as ServerOp));
  assert.equal(model.pendingCount, 0);
  const copy = parseCopy(
    JSON.parse(JSON.stringify({ v: 1, ...model.saved(), prev: null })),
    DEFAULT_LIMITS,
  );
  assert.ok(copy);
  const again = new Model();
  again.restore(copy);
  const next = again.propose({ k: "add", e: rect("d") });
  assert.ok(next.ok);
  assert.equal(next.op.c, 4);
});

test("a saved board comes back with its waiting edits, which keep their order and c", () => {
  const { model, raw } = savedBoard();
  const copy = parseCopy(raw, DEFAULT_LIMITS);
  assert.ok(copy);
  assert.deepEqual(copy.prev, { id: 7, token: "t" });
  const again = new Model();
  again.restore(copy);
  assert.deepEqual(again.elements(), model.elements());
  assert.deepEqual(again.confirmedElements(), model.confirmedElements());
  assert.equal(again.seq, 2);
  assert.equal(again.pendingCount, 2);
  assert.equal(again.unsentCount, 1, "what was sent stays sent: the next welcome decides");
  // A new edit gets a c of its own, so acknowledgements cannot be confused.
  const next = again.propose({ k: "add", e: rect("d") });
  assert.ok(next.ok);
  assert.equal(next.op.c, 3);
});

test("a damaged copy is ignored", () => {
  const { raw } = savedBoard();
  const bad = (change: (r: Record<string, unknown>) => void): unknown => {
    const r = structuredClone(raw) as Record<string, unknown>;
    change(r);
    return r;
  };
  assert.equal(parseCopy(null, DEFAULT_LIMITS), null);
  assert.equal(parseCopy("x", DEFAULT_LIMITS), null);
  assert.equal(
    parseCopy(
      bad((r) => (r["v"] = 2)),
      DEFAULT_LIMITS,
    ),
    null,
  );
  assert.equal(
    parseCopy(
      bad((r) => (r["first"] = [1])),
      DEFAULT_LIMITS,
    ),
    null,
  );
  assert.equal(
    parseCopy(
      bad((r) => ((r["elements"] as unknown[])[0] = { id: "a" })),
      DEFAULT_LIMITS,
    ),
    null,
  );
  assert.equal(
    parseCopy(
      bad((r) => ((r["pending"] as unknown[])[0] = { op: {}, sent: false })),
      DEFAULT_LIMITS,
    ),
    null,
  );
});
