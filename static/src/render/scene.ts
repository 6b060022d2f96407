/**
 * SceneIndex: where every visible element is (an rbush R-tree of bounding boxes) and in which
 * order elements stack. Culling and hit testing ask it instead of scanning the whole board, so
 * a board of 100,000 elements costs per frame only what is on screen.
 */
import RBush from "rbush";
import type { Element } from "../model/types";
import { bindingsOf, resolveLine } from "./bindings";
import { bounds, hitTest, unionBox } from "./geometry";
import type { Box, Point } from "./viewport";

export interface Item extends Box {
  id: string;
  /** The element as drawn: a line's attached ends are on their elements' outlines. */
  el: Element;
  /** 0 for frames, which are drawn below everything else whatever their z; 1 otherwise. */
  layer: number;
  /** Stacking key (z, else first-add rank) and the rank that breaks ties. */
  key: number;
  rank: number;
  /** Frame stamp used to pick visible items out of the stacking order without sorting. */
  stamp: number;
}

/**
 * What the renderer draws: the live board (the Model) or a moment of its history (replay/).
 * `rank` is the first-add order that stacks elements without `z`.
 */
export interface SceneSource {
  get(id: string): Element | undefined;
  forEach(fn: (el: Element) => void): void;
  rank(id: string): number;
  /** `null` means "everything may have changed". Returns a function that unsubscribes. */
  onChange(listener: (ids: ReadonlySet<string> | null) => void): () => void;
}

const EMPTY: ReadonlySet<string> = new Set();

const byStacking = (a: Item, b: Item): number =>
  a.layer !== b.layer ? a.layer - b.layer : a.key !== b.key ? a.key - b.key : a.rank - b.rank;

export class SceneIndex {
  private readonly tree = new RBush<Item>();
  private readonly items = new Map<string, Item>();
  /** ids in stacking order; items are looked up by id so replacing one costs nothing here. */
  private order: string[] = [];
  private orderDirty = false;
  private stamp = 0;
  /** For each id, the lines attached to it: they move when it does (PROTOCOL.md 1.1). */
  private readonly attached = new Map<string, Set<string>>();

  constructor(private readonly model: SceneSource) {
    this.rebuild();
  }

  get size(): number {
    return this.items.size;
  }

  /** Brings the index up to date for `ids` (null: everything). */
  update(ids: ReadonlySet<string> | null): void {
    if (ids === null) {
      this.rebuild();
      return;
    }
    for (const id of this.withAttached(ids)) {
      const el = this.model.get(id);
      const old = this.items.get(id);
      if (old) {
        this.tree.remove(old);
        this.items.delete(id);
        this.unlink(old.el);
      }
      if (!el) {
        if (old) this.orderDirty = true;
        continue;
      }
      this.link(el);
      const item = this.makeItem(el);
      this.items.set(id, item);
      this.tree.insert(item);
      if (old) {
        if (old.key !== item.key || old.rank !== item.rank || old.layer !== item.layer)
          this.orderDirty = true;
      } else if (!this.orderDirty) {
        // The common case, a new element on top, keeps the order without a sort.
        const lastId = this.order[this.order.length - 1];
        const last = lastId === undefined ? undefined : this.items.get(lastId);
        if (lastId === undefined || (last && byStacking(last, item) < 0)) this.order.push(id);
        else this.orderDirty = true;
      }
    }
  }

  get(id: string): Item | undefined {
    return this.items.get(id);
  }

  /** Elements whose boxes meet `box`, bottom to top. */
  visible(box: Box): Element[] {
    const found = this.tree.search(box);
    if (found.length * 8 < this.items.size) {
      return found.sort(byStacking).map((i) => i.el);
    }
    const stamp = ++this.stamp;
    for (const item of found) item.stamp = stamp;
    const out: Element[] = [];
    for (const id of this.stacking()) {
      const item = this.items.get(id);
      if (item && item.stamp === stamp) out.push(item.el);
    }
    return out;
  }

  /** Items meeting `box`, in no particular order. */
  search(box: Box): Item[] {
    return this.tree.search(box);
  }

  /** The topmost element whose ink is within `tol` of `p` (and that `accept` takes). */
  hit(
    p: Point,
    tol: number,
    skip?: ReadonlySet<string>,
    accept?: (el: Element) => boolean,
  ): Element | undefined {
    return this.topmost(
      p,
      tol,
      (el) => !skip?.has(el.id) && (!accept || accept(el)) && hitTest(el, p, tol),
    );
  }

  /** The topmost element near `p` (its box within `tol`) for which `test` holds. */
  topmost(p: Point, tol: number, test: (el: Element) => boolean): Element | undefined {
    const found = this.tree.search({
      minX: p.x - tol,
      minY: p.y - tol,
      maxX: p.x + tol,
      maxY: p.y + tol,
    });
    found.sort(byStacking);
    for (let i = found.length - 1; i >= 0; i--) {
      const el = (found[i] as Item).el;
      if (test(el)) return el;
    }
    return undefined;
  }

  /** The lines whose drawn ends follow element `id` (attached to it). */
  attachedTo(id: string): ReadonlySet<string> {
    return this.attached.get(id) ?? EMPTY;
  }

  /** The box around everything (null on an empty board). */
  extent(): Box | null {
    if (this.items.size === 0) return null;
    let box: Box | null = null;
    for (const item of this.items.values()) box = unionBox(box, item);
    return box;
  }

  /** `ids` and the lines attached to any of them (whose drawn ends follow them). */
  private withAttached(ids: ReadonlySet<string>): Iterable<string> {
    let out: Set<string> | null = null;
    for (const id of ids) {
      const lines = this.attached.get(id);
      if (!lines) continue;
      out ??= new Set(ids);
      for (const line of lines) out.add(line);
    }
    return out ?? ids;
  }

  private link(el: Element): void {
    for (const target of bindingsOf(el)) {
      let lines = this.attached.get(target);
      if (!lines) this.attached.set(target, (lines = new Set()));
      lines.add(el.id);
    }
  }

  private unlink(el: Element): void {
    for (const target of bindingsOf(el)) {
      const lines = this.attached.get(target);
      lines?.delete(el.id);
      if (lines?.size === 0) this.attached.delete(target);
    }
  }

  private stacking(): string[] {
    if (this.orderDirty) {
      this.order = [...this.items.values()].sort(byStacking).map((i) => i.id);
      this.orderDirty = false;
    }
    return this.order;
  }

  private makeItem(el: Element): Item {
    const shown =
      el.type === "line" || el.type === "arrow" ? resolveLine(el, (id) => this.model.get(id)) : el;
    const b = bounds(shown);
    const rank = this.model.rank(el.id);
    const layer = el.type === "frame" ? 0 : 1;
    return { ...b, id: el.id, el: shown, layer, key: el.z ?? rank, rank, stamp: 0 };
  }

  private rebuild(): void {
    this.tree.clear();
    this.items.clear();
    this.attached.clear();
    const all: Item[] = [];
    this.model.forEach((el) => {
      this.link(el);
      all.push(this.makeItem(el));
    });
    for (const item of all) this.items.set(item.id, item);
    this.tree.load(all);
    this.orderDirty = true;
  }
}
