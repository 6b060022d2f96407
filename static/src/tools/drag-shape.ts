/**
 * The gesture shared by line, arrow, rect and ellipse: press, drag, release. The element is
 * added once the pointer has moved a few pixels (a plain click draws nothing) and then updated
 * as it is dragged, so others see it take shape. Shift keeps squares, circles and 15° angles.
 */
import type { Element, UpdateSet } from "../model/types";
import { resolveLine } from "../render/bindings";
import type { Point } from "../render/viewport";
import { attachTarget, paintTarget } from "./attach";
import { fillFor } from "./style";
import type { Tool, ToolContext, ToolName, ToolPointer } from "./tool";

type ShapeType = "line" | "arrow" | "rect" | "ellipse";

const START_PX = 3;

export abstract class DragShapeTool implements Tool {
  abstract readonly name: ToolName & ShapeType;
  readonly cursor = "crosshair";
  private origin: { board: Point; screen: Point } | null = null;
  private id: string | null = null;
  /** Lines and arrows: the shapes their start and end attach to (PROTOCOL.md 1.1). */
  private from: string | undefined;
  private to: string | undefined;
  /** The shape under the pointer that an end would attach to, highlighted. */
  private target: Element | undefined;

  constructor(private readonly ctx: ToolContext) {}

  private get attaches(): boolean {
    return this.name === "line" || this.name === "arrow";
  }

  down(p: ToolPointer): void {
    this.origin = { board: p.board, screen: p.screen };
    this.id = null;
    this.from = this.attaches ? attachTarget(this.ctx, p.board)?.id : undefined;
    this.to = undefined;
  }

  hover(p: ToolPointer): void {
    if (!this.attaches) return;
    const target = attachTarget(this.ctx, p.board);
    if (target !== this.target) {
      this.target = target;
      this.ctx.renderer.invalidateOverlay();
    }
  }

  paintOverlay(ctx: CanvasRenderingContext2D): void {
    if (this.target) paintTarget(ctx, this.target, this.ctx.viewport.zoom);
  }

  move(p: ToolPointer): void {
    const o = this.origin;
    if (!o) return;
    const { editor } = this.ctx;
    const { w, h } = this.extent(o.board, p.board, p.shift);
    if (this.id === null) {
      if (Math.hypot(p.screen.x - o.screen.x, p.screen.y - o.screen.y) < START_PX) return;
      this.id = this.ctx.newId();
      editor.begin();
      const el = this.element(this.id, o.board, w, h);
      if (this.from !== undefined && (el.type === "line" || el.type === "arrow"))
        el.from = this.from;
      if (!editor.do({ k: "add", e: el })) {
        editor.end();
        this.origin = null;
      }
      return;
    }
    if (!this.ctx.model.has(this.id)) return;
    const set: UpdateSet = { w, h };
    if (this.attaches) {
      const skip = new Set([this.id, ...(this.from === undefined ? [] : [this.from])]);
      this.target = attachTarget(this.ctx, p.board, skip);
      if (this.target?.id !== this.to) {
        this.to = this.target?.id;
        set["to"] = this.to ?? null;
      }
    }
    editor.do({ k: "update", id: this.id, set });
  }

  up(p: ToolPointer): void {
    this.move(p);
    this.settle();
    this.finish();
  }

  /** Stores an attached line where it is drawn: readers that know no bindings see it there. */
  private settle(): void {
    const el = this.id === null ? undefined : this.ctx.model.get(this.id);
    if (!el || (el.type !== "line" && el.type !== "arrow")) return;
    const drawn = resolveLine(el, (id) => this.ctx.model.get(id));
    if (drawn === el) return;
    this.ctx.editor.do({
      k: "update",
      id: el.id,
      set: { x: drawn.x, y: drawn.y, w: drawn.w, h: drawn.h },
    });
  }

  cancel(): void {
    this.finish();
  }

  private finish(): void {
    if (this.id !== null) {
      this.ctx.editor.end();
      this.ctx.selection.clear();
    }
    this.origin = null;
    this.id = null;
    this.target = undefined;
    this.ctx.renderer.invalidateOverlay();
  }

  private extent(a: Point, b: Point, constrain: boolean): { w: number; h: number } {
    let w = b.x - a.x;
    let h = b.y - a.y;
    if (constrain) {
      if (this.name === "rect" || this.name === "ellipse") {
        const s = Math.max(Math.abs(w), Math.abs(h));
        w = Math.sign(w || 1) * s;
        h = Math.sign(h || 1) * s;
      } else {
        const step = Math.PI / 12;
        const angle = Math.round(Math.atan2(h, w) / step) * step;
        const len = Math.hypot(w, h);
        w = len * Math.cos(angle);
        h = len * Math.sin(angle);
      }
    }
    return { w, h };
  }

  private element(id: string, at: Point, w: number, h: number): Element {
    const { style } = this.ctx;
    const base = { id, x: at.x, y: at.y, stroke: style.stroke, width: style.width, w, h };
    if (this.name === "rect" || this.name === "ellipse") {
      return style.fill
        ? { ...base, type: this.name, fill: fillFor(style.stroke) }
        : { ...base, type: this.name };
    }
    return { ...base, type: this.name };
  }
}
