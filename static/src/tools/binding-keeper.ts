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
  private readonly candidates = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly model: Model,
    private readonly renderer: Renderer,
  ) {
    model.onChange((ids) => {
      if (ids === null || this.renderer.shown !== model) return;
      this.renderer.sync();
      for (const id of ids) {
        const el = model.get(id);
        if ((el?.type === "line" || el?.type === "arrow") && (el.from || el.to))
          this.candidates.add(id);
        for (const line of this.renderer.index.attachedTo(id)) this.candidates.add(line);
      }
      if (this.candidates.size > 0) this.schedule();
    });
  }

  /** Whether some attached line may still be settled (tests wait for the board to be quiet). */
  get busy(): boolean {
    return this.timer !== null || this.candidates.size > 0;
  }

  private schedule(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.settle(), QUIET_MS);
  }

  private settle(): void {
    this.timer = null;
    const { model } = this;
    if (model.pendingCount > 0 || model.readOnly) {
      this.schedule();
      return;
    }
    const lines = [...this.candidates];
    this.candidates.clear();
    for (const id of lines) {
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
