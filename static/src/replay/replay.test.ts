/**
 * History in the browser, without a browser: restoring a past state through the editor (and
 * undoing it), the author index, the landmarks, the paged log and the player's seeks.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Document } from "../model/document";
import { Editor } from "../model/editor";
import { Model } from "../model/model";
import { splitAdd } from "../model/split";
import type { Element, Op, OpBody, ServerOp } from "../model/types";
import { DEFAULT_LIMITS } from "../model/types";
import { AuthorIndex } from "./authors";
import { HistoryLog, PAGE } from "./log";
import { Player } from "./player";
import { restoreOps } from "./restore";
import { LandmarkFinder, SESSION_GAP_MS } from "./sessions";
import { ReplayState } from "./state";

const ME = 3;
const OTHER = 4;

const rect = (id: string, x = 0, extra: Partial<Element> = {}): Element =>
  ({ id, type: "rect", x, y: 0, stroke: "#000000", width: 2, w: 10, h: 10, ...extra }) as Element;

const pen = (id: string, pts: number[]): Element => ({
  id,
  type: "pen",
  x: 0,
  y: 0,
  stroke: "#000000",
  width: 2,
  pts,
});

/** A board with a server that numbers ops, as the real one does. */
class Board {
  readonly model = new Model();
  readonly editor = new Editor(this.model);
  readonly log: ServerOp[] = [];
  constructor() {
    this.model.addClientId(ME);
  }
  /** Another user's ops, committed. */
  other(...ops: OpBody[]): void {
    this.model.receive(ops.map((op) => this.stamp({ ...op, c: 1 } as Op, OTHER)));
  }
  /** Acknowledges everything the model sent. */
  ack(): void {
    this.model.receive(this.model.takeUnsent().map((op) => this.stamp(op, ME)));
  }
  private stamp(op: Op, by: number): ServerOp {
    const sop = { ...op, s: this.log.length + 1, by, ts: 1000 * (this.log.length + 1) } as ServerOp;
    this.log.push(sop);
    return sop;
  }
  /** The state after op `seq`, replayed from the log. */
  at(seq: number): Element[] {
    const doc = new Document(this.model.limits);
    for (const sop of this.log.slice(0, seq)) {
      const { s, by: _b, ts: _t, ...op } = sop;
      doc.apply(op as Op, s);
    }
    return doc.elements();
  }
}

test("restore makes the live board equal a past state, and one undo brings the head back", () => {
  const b = new Board();
  const long = Array.from({ length: 30_000 }, (_, i) => (i % 7) - 3);
  b.other(
    { k: "add", e: rect("a") },
    { k: "add", e: rect("b", 5, { fill: "#ff000080" }) },
    { k: "add", e: pen("p", [0, 0, 1, 1]) },
    { k: "add", e: pen("long", long) },
    { k: "add", e: rect("c", 9, { z: 0.5 }) },
  );
  const moment = b.log.length;
  const past = b.at(moment);
  // Since then: a moved and raised, b's fill removed, p grown, long and c deleted, d added.
  b.other(
    { k: "update", id: "a", set: { x: 40, z: 10 } },
    { k: "update", id: "b", set: { fill: null } },
    { k: "append", id: "p", pts: [2, 2] },
    { k: "delete", ids: ["long", "c"] },
    { k: "add", e: rect("d", 70) },
  );
  const head = b.model.elements();

  const ops = restoreOps(b.model.elements(), past, b.model.limits);
  assert.ok(ops.every((op) => op.k !== "add" || op.e.type !== "pen" || op.e.pts.length <= 10_000));
  b.model.seedRanks(
    new Map([
      ["long", 4],
      ["c", 5],
    ]),
  );
  b.editor.begin();
  for (const op of ops) assert.ok(b.editor.do(op), JSON.stringify(op).slice(0, 80));
  b.editor.end();
  assert.deepEqual(b.model.elements(), past, "at once, on screen");
  b.ack();
  assert.deepEqual(b.at(b.log.length), past, "on the server");
  assert.deepEqual(b.model.elements(), past);

  assert.ok(b.editor.undo());
  b.ack();
  assert.deepEqual(b.at(b.log.length), head, "undo restores the head");
  assert.deepEqual(b.model.elements(), head);
  assert.equal(b.editor.canUndo, false, "the restore was one step");
});

test("restoring the moment shown now changes nothing", () => {
  const b = new Board();
  b.other({ k: "add", e: rect("a") }, { k: "add", e: pen("p", [0, 0]) });
  assert.deepEqual(restoreOps(b.model.elements(), b.at(2), b.model.limits), []);
});

test("a long stroke is added as an add and appends, none over the op limit", () => {
  const limits = { ...DEFAULT_LIMITS, values_per_op: 5 };
  const el = { ...pen("p", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), pr: [1, 2, 3, 4, 5] } as Element;
  const ops = splitAdd(el, limits);
  assert.deepEqual(
    ops.map((o) => (o.k === "add" ? ["add", o.e.type === "pen" && o.e.pts, o.e] : [o.k, o])),
    [
      ["add", [1, 2, 3, 4], { ...el, pts: [1, 2, 3, 4], pr: [1, 2] }],
      ["append", { k: "append", id: "p", pts: [5, 6, 7, 8], pr: [3, 4] }],
      ["append", { k: "append", id: "p", pts: [9, 10], pr: [5] }],
    ],
  );
});

test("the author index answers who last touched an element as of any seq", () => {
  const idx = new AuthorIndex();
  idx.record("a", 1, 7);
  idx.record("a", 2, 7);
  idx.record("a", 5, 8);
  idx.record("a", 9, 7);
  assert.equal(idx.lastAuthor("a", 0), undefined);
  assert.equal(idx.lastAuthor("a", 4), 7);
  assert.equal(idx.lastAuthor("a", 5), 8);
  assert.equal(idx.lastAuthor("a", 8), 8);
  assert.equal(idx.lastAuthor("a", 100), 7);
  assert.equal(idx.touchedBy("a", 4, new Set([8])), false);
  assert.equal(idx.touchedBy("a", 5, new Set([8])), true);
  assert.equal(idx.lastAuthor("b", 100), undefined);
});

test("sessions start at the first op and after long pauses; first changes are marked", () => {
  const f = new LandmarkFinder();
  f.add(1, 0, "Ada");
  f.add(2, 1000, "Ada");
  f.add(3, 2000, "Bob");
  f.add(4, 2000 + SESSION_GAP_MS + 1, "Ada");
  assert.deepEqual(
    f.marks.map((m) => [m.seq, m.kind]),
    [
      [1, "session"],
      [3, "join"],
      [4, "session"],
    ],
  );
});

/** A log of `n` ops: adds of rects, every third op moving the previous one, by two authors. */
function fakeLog(n: number): ServerOp[] {
  const out: ServerOp[] = [];
  for (let s = 1; s <= n; s++) {
    const by = s % 2 === 0 ? 1 : 2;
    const op: Op =
      s % 3 === 0
        ? { k: "update", c: s, id: `r${s - 1}`, set: { x: s } }
        : { k: "add", c: s, e: rect(`r${s}`, s) };
    out.push({ ...op, s, by, ts: 1_000_000 + s * 10 } as ServerOp);
  }
  return out;
}

function logOver(ops: ServerOp[], calls: number[][] = []): HistoryLog {
  const log = new HistoryLog(async (after, limit) => {
    calls.push([after, limit]);
    return { ops: ops.slice(after, after + limit), names: { "1": "Ada", "2": "Bob" } };
  });
  log.setHead(ops.length);
  return log;
}

test("the log streams in pages and builds its indexes in order", async () => {
  const ops = fakeLog(2 * PAGE + 500);
  const calls: number[][] = [];
  const log = logOver(ops, calls);
  await log.scannedTo(ops.length);
  assert.equal(log.scanned, ops.length);
  assert.deepEqual(calls, [
    [0, PAGE],
    [PAGE, PAGE],
    [2 * PAGE, PAGE],
  ]);
  assert.equal(log.ts(PAGE + 1), 1_000_000 + (PAGE + 1) * 10);
  assert.equal(log.by(4), 1);
  assert.equal(log.firstAdd.get("r4"), 4);
  assert.equal(log.authors.lastAuthor("r2", 3), 2, "op 3 (by Bob) moved r2");
  assert.deepEqual([...log.counts.keys()].sort(), ["Ada", "Bob"]);
  assert.deepEqual(
    log.ops(PAGE - 2, PAGE + 2)?.map((o) => o.s),
    [PAGE - 1, PAGE, PAGE + 1, PAGE + 2],
  );
  log.close();
});

test("the player seeks near by applying ops, far by asking for a snapshot", async () => {
  const ops = fakeLog(3 * PAGE);
  const log = logOver(ops);
  const truth = (seq: number): Element[] => {
    const doc = new Document();
    for (const { s, by: _b, ts: _t, ...op } of ops.slice(0, seq)) doc.apply(op as Op, s);
    return doc.elements();
  };
  const asked: number[] = [];
  const state = new ReplayState(new Document(), 0, log.firstAdd);
  const player = new Player(
    log,
    state,
    async (at) => {
      asked.push(at);
      return { seq: at, elements: truth(at) };
    },
    DEFAULT_LIMITS,
  );
  const settle = (): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (player.busy) setTimeout(check, 1);
        else resolve();
      };
      setTimeout(check, 1);
    });
  for (const [to, far] of [
    [100, false],
    [4000, false],
    [25_000, true],
    [25_300, false],
    [24_000, true],
    [25_100, false],
    [7, false],
  ] as const) {
    const before = asked.length;
    player.seek(to);
    await settle();
    assert.equal(state.seq, to);
    assert.equal(asked.length > before, far, `seek to ${to}`);
    assert.deepEqual(state.allElements(), truth(to));
  }
  log.close();
});
