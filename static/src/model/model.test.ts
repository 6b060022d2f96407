/**
 * The Model's reconciliation (docs/architecture.md "Sync semantics") and the Editor's per-user undo, as a
 * user would notice them: what is visible after local edits, others' edits, acknowledgements,
 * refusals and resumes.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Editor } from "./editor";
import { Model } from "./model";
import type { Element, Op, ServerOp, ShapeElement } from "./types";

const ME = 7;
const OTHER = 9;

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

/** A fake server: numbers ops, like the real one, and feeds them back to the model. */
class Server {
  seq = 0;
  constructor(readonly model: Model) {}
  /** Acknowledges everything the model has sent. */
  ackAll(): void {
    const ops = this.model.takeUnsent();
    this.model.receive(ops.map((op) => this.stamp(op, ME)));
  }
  other(op: Op): void {
    this.model.receive([this.stamp(op, OTHER)]);
  }
  stamp(op: Op, by: number): ServerOp {
    return { ...op, s: ++this.seq, by } as ServerOp;
  }
}

function setup(): { model: Model; editor: Editor; server: Server } {
  const model = new Model();
  model.addClientId(ME);
  return { model, editor: new Editor(model), server: new Server(model) };
}

test("a local edit shows at once and stays after its acknowledgement", () => {
  const { model, editor, server } = setup();
  editor.do({ k: "add", e: rect("a") });
  assert.equal(model.get("a")?.x, 0);
  assert.equal(model.pendingCount, 1);
  server.ackAll();
  assert.equal(model.pendingCount, 0);
  assert.deepEqual(model.elements(), [rect("a")]);
});

test("another user's change to a field I am changing does not show until mine is settled", () => {
  const { model, editor, server } = setup();
  editor.do({ k: "add", e: rect("a") });
  server.ackAll();
  editor.do({ k: "update", id: "a", set: { x: 50 } });
  const sent = model.takeUnsent();
  server.other({ k: "update", c: 1, id: "a", set: { x: 99, y: 5 } });
  // Their y shows; my x wins on screen while pending.
  assert.equal(model.get("a")?.x, 50);
  assert.equal(model.get("a")?.y, 5);
  // The server ordered mine after theirs: mine wins there too.
  model.receive(sent.map((op) => server.stamp(op, ME)));
  assert.equal(model.get("a")?.x, 50);
  assert.equal(model.pendingCount, 0);
});

test("a refusal rolls the optimistic change back", () => {
  const { model, editor } = setup();
  editor.do({ k: "add", e: rect("a") });
  const [op] = model.takeUnsent();
  assert.ok(model.refuse((op as Op).c));
  assert.equal(model.has("a"), false);
  assert.equal(model.pendingCount, 0);
});

test("live pen appends are merged into one op per frame", () => {
  const { model, editor } = setup();
  editor.begin();
  editor.do({
    k: "add",
    e: { id: "p", type: "pen", x: 0, y: 0, stroke: "#000000", width: 2, pts: [0, 0] },
  });
  editor.do({ k: "append", id: "p", pts: [1, 1] });
  editor.do({ k: "append", id: "p", pts: [2, 2] });
  const first = model.takeUnsent();
  assert.equal(first.length, 1);
  assert.deepEqual((first[0] as Extract<Op, { k: "add" }>).e, {
    id: "p",
    type: "pen",
    x: 0,
    y: 0,
    stroke: "#000000",
    width: 2,
    pts: [0, 0, 1, 1, 2, 2],
  });
  editor.do({ k: "append", id: "p", pts: [3, 3] });
  editor.do({ k: "append", id: "p", pts: [4, 4] });
  editor.end();
  assert.deepEqual(
    model.takeUnsent().map((o) => (o as Extract<Op, { k: "append" }>).pts),
    [[3, 3, 4, 4]],
  );
});

test("undo reverts only my change, leaving others' later edits to other fields", () => {
  const { model, editor, server } = setup();
  server.other({ k: "add", c: 1, e: rect("theirs") });
  editor.do({ k: "add", e: rect("mine") });
  server.ackAll();
  editor.do({ k: "update", id: "theirs", set: { stroke: "#ff0000" } });
  server.ackAll();
  server.other({ k: "update", c: 2, id: "theirs", set: { x: 40 } });
  assert.ok(editor.undo());
  assert.equal((model.get("theirs") as ShapeElement | undefined)?.stroke, "#000000");
  assert.equal(model.get("theirs")?.x, 40);
  assert.ok(editor.undo());
  assert.equal(model.has("mine"), false);
  assert.equal(model.has("theirs"), true);
  assert.equal(editor.undo(), false);
  assert.ok(editor.redo());
  assert.equal(model.has("mine"), true);
});

test("undo skips an action someone else made moot", () => {
  const { model, editor, server } = setup();
  editor.do({ k: "add", e: rect("a") });
  editor.do({ k: "add", e: rect("b") });
  server.ackAll();
  editor.do({ k: "update", id: "b", set: { x: 5 } });
  server.ackAll();
  server.other({ k: "delete", c: 3, ids: ["b"] });
  // Undoing the move of b (gone) and the add of b (gone) is impossible: undo removes a.
  assert.ok(editor.undo());
  assert.equal(model.has("a"), false);
});

test("undo of a delete brings the element back in its old place", () => {
  const { model, editor, server } = setup();
  editor.do({ k: "add", e: rect("a") });
  editor.do({ k: "add", e: rect("b", 5) });
  server.ackAll();
  editor.do({ k: "delete", ids: ["a"] });
  server.ackAll();
  editor.undo();
  server.ackAll();
  assert.deepEqual(
    model.elements().map((e) => e.id),
    ["a", "b"],
  );
});

test("after a resume, my ops that reached the log are recognised by c, the rest resent", () => {
  const { model, editor, server } = setup();
  editor.do({ k: "add", e: rect("a") });
  editor.do({ k: "add", e: rect("b") });
  const sent = model.takeUnsent();
  // The connection drops. Only the first op was committed, under my old client id.
  const committed = server.stamp(sent[0] as Op, ME);
  model.addClientId(8); // the new connection's id
  model.receive([committed]);
  model.markAllUnsent();
  const resend = model.takeUnsent();
  assert.deepEqual(
    resend.map((o) => (o as Extract<Op, { k: "add" }>).e.id),
    ["b"],
  );
  assert.equal(resend[0]?.c, sent[1]?.c);
});

test("a snapshot resume never applies an append twice", () => {
  const { model, editor } = setup();
  editor.do({
    k: "add",
    e: { id: "p", type: "pen", x: 0, y: 0, stroke: "#000000", width: 2, pts: [0, 0] },
  });
  model.takeUnsent();
  editor.do({ k: "append", id: "p", pts: [1, 1] });
  model.takeUnsent();
  editor.do({ k: "append", id: "p", pts: [2, 2] }); // not sent yet
  // The server's snapshot has the stroke with its first append.
  model.reset(
    [{ id: "p", type: "pen", x: 0, y: 0, stroke: "#000000", width: 2, pts: [0, 0, 1, 1] }],
    2,
  );
  const resend = model.takeUnsent();
  assert.equal(resend.length, 1);
  assert.deepEqual((resend[0] as Extract<Op, { k: "append" }>).pts, [2, 2]);
  assert.deepEqual((model.get("p") as Extract<Element, { type: "pen" }>).pts, [0, 0, 1, 1, 2, 2]);
});

test("a gap in sequence numbers is reported, not papered over", () => {
  const { model, server } = setup();
  server.other({ k: "add", c: 1, e: rect("a") });
  assert.throws(() => model.receive([{ k: "add", c: 2, e: rect("b"), s: 5, by: OTHER }]), /gap/);
});

test("a snapshot resume resends the appends the snapshot does not have, and only those", () => {
  const { model, editor } = setup();
  const pen = { id: "p", type: "pen", x: 0, y: 0, stroke: "#000000", width: 2 } as const;
  editor.begin();
  editor.do({ k: "add", e: { ...pen, pts: [0, 0] } });
  model.takeUnsent();
  editor.do({ k: "append", id: "p", pts: [1, 1] });
  model.takeUnsent();
  editor.do({ k: "append", id: "p", pts: [2, 2, 3, 3] });
  model.takeUnsent();
  editor.end();
  // The old connection was retired with only the add and the first append committed.
  model.reset([{ ...pen, pts: [0, 0, 1, 1] }], 2);
  const resend = model.takeUnsent();
  assert.deepEqual(
    resend.map((o) => (o as Extract<Op, { k: "append" }>).pts),
    [[2, 2, 3, 3]],
  );
  assert.deepEqual(
    (model.get("p") as Extract<Element, { type: "pen" }>).pts,
    [0, 0, 1, 1, 2, 2, 3, 3],
  );
});

test("a snapshot with first-add seqs stacks z and non-z elements as the server does", () => {
  const { model } = setup();
  // Server order: b (z 1.5) between a (first add 1) and c (first add 2).
  const a = rect("a");
  const b = { ...rect("b"), z: 1.5 };
  const c = rect("c");
  model.reset([a, b, c], 3, [1, 3, 2]);
  model.addClientId(ME);
  assert.deepEqual(
    model.elements().map((e) => e.id),
    ["a", "b", "c"],
  );
  // An element added later stacks above all of them, and c moved to z 1.2 goes below b.
  model.receive([{ k: "update", c: 1, id: "c", set: { z: 1.2 }, s: 4, by: OTHER }]);
  assert.deepEqual(
    model.elements().map((e) => e.id),
    ["a", "c", "b"],
  );
});
