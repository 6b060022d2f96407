/**
 * Document: the live elements of a board and the rules that advance them, op by op.
 *
 * The same semantics as the server's whiteboard/document.py (the shared test vectors check
 * both). It is pure (no I/O, no timers) so the model can keep two of its states side by side:
 * the confirmed state from the server and, on top, the user's own pending ops.
 */
import type { Element, ErrorCode, Limits, Op, UpdateSet } from "./types";
import { DEFAULT_LIMITS } from "./types";
import { setError, sizeFits } from "./validate";

export type Outcome = { ok: true; op: Op } | { ok: false; code: ErrorCode };

/** The state of one id after an op: the element, `undefined` (not live), or a refusal. */
export type Step = { ok: true; el: Element | undefined } | { ok: false; code: ErrorCode };

/**
 * Applies the part of `op` that concerns `id` to that id's current state.
 *
 * Ops on different ids never interact (except through board-wide limits), so the model can
 * replay pending ops on a single id without rebuilding the whole board.
 */
export function step(el: Element | undefined, op: Op, id: string, limits: Limits): Step {
  switch (op.k) {
    case "add":
      if (el) return { ok: false, code: "exists" };
      return { ok: true, el: op.e };
    case "append": {
      if (!el) return { ok: false, code: "not_found" };
      if (el.locked) return { ok: false, code: "locked" };
      if (el.type !== "pen") return { ok: false, code: "bad_op" };
      if ((el.pr === undefined) !== (op.pr === undefined)) return { ok: false, code: "bad_op" };
      if (el.pts.length + op.pts.length > limits.values_per_element) {
        return { ok: false, code: "too_large" };
      }
      const next = { ...el, pts: el.pts.concat(op.pts) };
      if (el.pr && op.pr) next.pr = el.pr.concat(op.pr);
      return { ok: true, el: next };
    }
    case "update": {
      if (!el) return { ok: false, code: "not_found" };
      if (el.locked && !unlocks(op.set)) return { ok: false, code: "locked" };
      const code = setError(el.type, op.set, limits);
      if (code) return { ok: false, code };
      const next: Record<string, unknown> = { ...el };
      for (const [key, v] of Object.entries(op.set)) {
        if (v === null) delete next[key];
        else next[key] = v;
      }
      if (!sizeFits(el.type, next)) return { ok: false, code: "bad_op" };
      return { ok: true, el: next as unknown as Element };
    }
    case "delete":
      if (!el) return { ok: false, code: "not_found" };
      return el.locked ? { ok: false, code: "locked" } : { ok: true, el: undefined };
  }
}

/** Whether an update is the one change a locked element takes (PROTOCOL.md 1.1). */
export function unlocks(set: UpdateSet): boolean {
  const keys = Object.keys(set);
  return keys.length === 1 && set["locked"] === false;
}

/**
 * The ids a delete deletes: the live ones, once each, except locked ones (PROTOCOL.md 1.1);
 * or the refusal when there are none (`locked` if some were live but locked).
 */
export function deletable(
  ids: readonly string[],
  get: (id: string) => Element | undefined,
): { ok: true; ids: string[] } | { ok: false; code: ErrorCode } {
  let live = 0;
  const out: string[] = [];
  ids.forEach((id, i) => {
    const el = get(id);
    if (!el || ids.indexOf(id) !== i) return;
    live++;
    if (!el.locked) out.push(id);
  });
  if (out.length > 0) return { ok: true, ids: out };
  return { ok: false, code: live > 0 ? "locked" : "not_found" };
}

/** The ids an op touches. */
export function opIds(op: Op): string[] {
  switch (op.k) {
    case "add":
      return [op.e.id];
    case "delete":
      return op.ids;
    default:
      return [op.id];
  }
}

/**
 * Stacking order: `z` where set, else the sequence number of the first `add` of the id. Ties
 * (a `z` equal to some sequence number) fall back to that first-add order.
 */
export function compareStacking(a: Element, ra: number, b: Element, rb: number): number {
  const ka = a.z ?? ra;
  const kb = b.z ?? rb;
  return ka !== kb ? ka - kb : ra - rb;
}

/** Whether two elements have the same fields and values (point arrays compared by value). */
export function sameElement(a: Element, b: Element): boolean {
  const x = a as unknown as Record<string, unknown>;
  const y = b as unknown as Record<string, unknown>;
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  for (const k of keys) {
    const u = x[k];
    const v = y[k];
    if (u === v) continue;
    if (!Array.isArray(u) || !Array.isArray(v) || u.length !== v.length) return false;
    for (let i = 0; i < u.length; i++) if (u[i] !== v[i]) return false;
  }
  return true;
}

export class Document {
  /** Replaced when the server's welcome announces its limits. */
  limits: Limits;
  private readonly live = new Map<string, Element>();
  /** Sequence of the first add of every id ever added here; a re-added id keeps its place. */
  private readonly firstAdd = new Map<string, number>();

  constructor(limits: Limits = DEFAULT_LIMITS) {
    this.limits = limits;
  }

  /**
   * Replaces the content with a snapshot (welcome, or the API), given in stacking order.
   * `first` holds the first-add seq of each element (welcome.first, docs/protocol.md), so
   * elements with and without `z` interleave exactly as on the server. Without it the snapshot
   * carries no sequence numbers: its elements then rank below any later op, in the order given.
   */
  static fromElements(
    elements: readonly Element[],
    limits: Limits = DEFAULT_LIMITS,
    first: readonly number[] | null = null,
  ): Document {
    const doc = new Document(limits);
    const ranks = first && first.length === elements.length ? first : null;
    elements.forEach((e, i) => {
      doc.live.set(e.id, e);
      doc.firstAdd.set(e.id, ranks ? (ranks[i] as number) : i - elements.length);
    });
    return doc;
  }

  /**
   * Takes over `other`'s element objects wherever they equal this document's. Renderers cache
   * a pen's outline per element object, so a snapshot that repeats most of what is on screen
   * (seeking through history) then costs no new outlines.
   */
  reuseFrom(other: Document): void {
    for (const [id, el] of this.live) {
      const old = other.live.get(id);
      if (old && old !== el && sameElement(old, el)) this.live.set(id, old);
    }
  }

  /** An independent copy (elements are never mutated in place, so they are shared). */
  clone(): Document {
    const doc = new Document(this.limits);
    for (const [id, e] of this.live) doc.live.set(id, e);
    for (const [id, r] of this.firstAdd) doc.firstAdd.set(id, r);
    return doc;
  }

  get size(): number {
    return this.live.size;
  }

  get(id: string): Element | undefined {
    return this.live.get(id);
  }

  has(id: string): boolean {
    return this.live.has(id);
  }

  /**
   * Tells the first-add seq of an id this document has not seen added (it was deleted before
   * the snapshot it started from), so a re-add keeps its old place, as on the server.
   */
  seedRank(id: string, seq: number): void {
    if (!this.firstAdd.has(id)) this.firstAdd.set(id, seq);
  }

  /** The first-add rank of an id, or undefined if it was never added here. */
  rank(id: string): number | undefined {
    return this.firstAdd.get(id);
  }

  ids(): IterableIterator<string> {
    return this.live.keys();
  }

  /** Live elements in stacking order. */
  elements(): Element[] {
    const all = [...this.live.values()];
    const rank = (e: Element): number => this.firstAdd.get(e.id) ?? 0;
    return all.sort((a, b) => compareStacking(a, rank(a), b, rank(b)));
  }

  /**
   * Applies one valid op (see validate.ts) as sequence number `seq`. On success the outcome's op
   * is what was done: a delete lists only the ids that were live.
   */
  apply(op: Op, seq: number): Outcome {
    if (op.k === "delete") {
      const found = deletable(op.ids, (id) => this.live.get(id));
      if (!found.ok) return found;
      const ids = found.ids;
      for (const id of ids) this.live.delete(id);
      return { ok: true, op: ids.length === op.ids.length ? op : { ...op, ids } };
    }
    const id = op.k === "add" ? op.e.id : op.id;
    const before = this.live.get(id);
    if (op.k === "add" && !before && this.live.size >= this.limits.elements_per_board) {
      return { ok: false, code: "board_full" };
    }
    const result = step(before, op, id, this.limits);
    if (!result.ok) return result;
    if (result.el) this.live.set(id, result.el);
    if (op.k === "add" && !this.firstAdd.has(id)) this.firstAdd.set(id, seq);
    return { ok: true, op };
  }
}
