/**
 * The model's side of PROTOCOL.md 1.1's `locked` rule and of welcome.gone, as a user would
 * notice them: what undo sends for a lock, what coalescing must not merge, where a re-added
 * element lands on a client that joined after its delete.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Editor } from "./editor";
import { Model } from "./model";
import type { Element, Op, ServerOp } from "./types";

const ME = 7;
const OTHER = 9;

const rect = (id: string, extra: Partial<Element> = {}): Element =>
  ({
    id,
    type: "rect",
    x: 0,
    y: 0,
    stroke: "#000000",
    width: 2,
    w: 10,
    h: 10,
    ...extra,
  }) as Element;

function setup(): { model: Model; editor: Editor; ack: () => Op[] } {
  const model = new Model();
  model.addClientId(ME);
  let seq = 0;
  const ack = (): Op[] => {
    const ops = model.takeUnsent();
    model.receive(ops.map((op) => ({ ...op, s: ++seq, by: ME }) as ServerOp));
    return ops;
  };
  return { model, editor: new Editor(model), ack };
}

test("undo of a lock unlocks with {locked: false}, the one update a locked element takes", () => {
  const { model, editor, ack } = setup();
  editor.do({ k: "add", e: rect("a") });
  ack();
  editor.do({ k: "update", id: "a", set: { locked: true } });
  ack();
  assert.equal(model.get("a")?.locked, true);
  assert.ok(editor.undo());
  const [op] = ack();
  assert.deepEqual((op as Op & { set: unknown }).set, { locked: false });
  assert.equal(model.get("a")?.locked, false);
  assert.ok(editor.redo());
  assert.equal(model.get("a")?.locked, true);
});

test("a locked element refuses moves and deletes locally, with the server's code", () => {
  const { model, editor, ack } = setup();
  const refused: string[] = [];
  editor.onRefused = (code) => refused.push(code);
  editor.do({ k: "add", e: rect("a", { locked: true }) });
  editor.do({ k: "add", e: rect("b") });
  ack();
  assert.equal(editor.do({ k: "update", id: "a", set: { x: 5 } }), false);
  assert.equal(editor.do({ k: "delete", ids: ["a"] }), false);
  assert.deepEqual(refused, ["locked", "locked"]);
  // A delete of both deletes only the unlocked one, as the server would.
  assert.ok(editor.do({ k: "delete", ids: ["a", "b"] }));
  const [op] = ack();
  assert.deepEqual((op as Op & { ids: string[] }).ids, ["b"]);
  assert.equal(model.has("a"), true);
});

test("an unlock is never merged with the move that follows it before sending", () => {
  const { model, editor, ack } = setup();
  editor.do({ k: "add", e: rect("a", { locked: true }) });
  ack();
  editor.do({ k: "update", id: "a", set: { locked: false } });
  editor.do({ k: "update", id: "a", set: { x: 40 } });
  const ops = ack();
  assert.deepEqual(
    ops.map((op) => (op as Op & { set: unknown }).set),
    [{ locked: false }, { x: 40 }],
  );
  assert.equal(model.get("a")?.x, 40);
});

test("undo of unlock-and-move moves back first, then locks again", () => {
  const { model, editor, ack } = setup();
  editor.do({ k: "add", e: rect("a", { locked: true }) });
  ack();
  editor.begin();
  editor.do({ k: "update", id: "a", set: { locked: false } });
  editor.do({ k: "update", id: "a", set: { x: 40 } });
  editor.end();
  ack();
  assert.ok(editor.undo());
  ack();
  assert.equal(model.get("a")?.x, 0);
  assert.equal(model.get("a")?.locked, true);
});

test("a client that loaded a snapshot stacks a re-added element where the server does (welcome.gone)", () => {
  // On the server: a (s1), b (s2), c (s3); a deleted (s4); then this client joins.
  const model = new Model();
  model.addClientId(ME);
  model.reset([rect("b"), rect("c")], 4, [2, 3], [["a", 1]]);
  // Someone undoes the delete: a comes back below b and c, at its first place.
  model.receive([{ k: "add", c: 1, e: rect("a"), s: 5, by: OTHER }]);
  assert.deepEqual(
    model.elements().map((e) => e.id),
    ["a", "b", "c"],
  );
  // Without gone, it could only go on top.
  const blind = new Model();
  blind.reset([rect("b"), rect("c")], 4, [2, 3]);
  blind.receive([{ k: "add", c: 1, e: rect("a"), s: 5, by: OTHER }]);
  assert.deepEqual(
    blind.elements().map((e) => e.id),
    ["b", "c", "a"],
  );
});
