/**
 * Keeps attached lines stored where they are drawn (PROTOCOL.md 1.1: "the stored x, y, w, h
 * are the last drawn position, for readers that do not" know bindings).
 *
 * Every client draws an attached end from its shape's current geometry, so nothing needs
 * sending while shapes move. Once the board is quiet, the stored position is brought up to
 * date by one client only: the author of the last op that touched the line or one of its
 * shapes. That client has seen every op before its own, so it computes the position from the
 * final geometry; should another change arrive later, its author settles again. The update is
 * not an undoable action of the user's: it only writes down what everyone already sees.
 */
import type { Model } from "../model/model";
import { resolveLine } from "../render/bindings";
import type { Renderer } from "../render/renderer";

/** Quiet time before settling: longer than a frame of dragging, short enough to feel done. */
const QUIET_MS = 400;
const EPSILON = 0.01;

export class BindingKeeper {
  /** Ids changed since the board was last quiet: lines, or shapes lines may be attached to. */
  private readonly touched = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly model: Model,
    private readonly renderer: Renderer,
  ) {
    // Only noted here: an op costs a set insert. Which lines they concern is worked out once,
    // when the board is quiet (the scene index is brought up to date then, not per op).
    model.onChange((ids) => {
      if (ids === null || this.renderer.shown !== model) return;
      for (const id of ids) this.touched.add(id);
      if (this.touched.size > 0) this.schedule();
    });
  }

  /** Whether some attached line may still be settled (tests wait for the board to be quiet). */
  get busy(): boolean {
    return this.timer !== null || this.touched.size > 0;
  }

  /** The attached lines among the touched ids, and those attached to a touched shape. */
  private candidates(): string[] {
    const { model } = this;
    this.renderer.sync();
    const lines = new Set<string>();
    for (const id of this.touched) {
      const el = model.get(id);
      if ((el?.type === "line" || el?.type === "arrow") && (el.from || el.to)) lines.add(id);
      for (const line of this.renderer.index.attachedTo(id)) lines.add(line);
    }
    this.touched.clear();
    return [...lines];
  }

  private schedule(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.settle(), QUIET_MS);
  }

  private settle(): void {
    this.timer = null;
    const { model } = this;
    if (model.pendingCount > 0) {
      this.schedule();
      return;
    }
    if (model.readOnly || this.renderer.shown !== model) {
      // A viewer never writes positions; with the history view open the scene index holds
      // the past, not this board: whoever changes the board next settles it.
      this.touched.clear();
      return;
    }
    for (const id of this.candidates()) {
      const el = model.get(id);
      if ((el?.type !== "line" && el?.type !== "arrow") || el.locked) continue;
      let last: { s: number; by: number } | undefined;
      for (const part of [id, el.from, el.to]) {
        const t = part === undefined ? undefined : model.lastTouch(part);
        if (t && (!last || t.s > last.s)) last = t;
      }
      if (!last || !model.isMine(last.by)) continue;
      const drawn = resolveLine(el, (other) => model.get(other));
      const off =
        Math.abs(drawn.x - el.x) +
        Math.abs(drawn.y - el.y) +
        Math.abs(drawn.w - el.w) +
        Math.abs(drawn.h - el.h);
      if (off > EPSILON) {
        model.propose({ k: "update", id, set: { x: drawn.x, y: drawn.y, w: drawn.w, h: drawn.h } });
      }
    }
  }
}
