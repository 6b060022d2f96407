/**
 * The gesture shared by line, arrow, rect and ellipse: press, drag, release. The element is
 * added once the pointer has moved a few pixels (a plain click draws nothing) and then updated
 * as it is dragged, so others see it take shape. Shift keeps squares, circles and 15° angles.
 */
import type { Element } from "../model/types";
import type { Point } from "../render/viewport";
import { fillFor } from "./style";
import type { Tool, ToolContext, ToolName, ToolPointer } from "./tool";

type ShapeType = "line" | "arrow" | "rect" | "ellipse";

const START_PX = 3;

export abstract class DragShapeTool implements Tool {
  abstract readonly name: ToolName & ShapeType;
  readonly cursor = "crosshair";
  private origin: { board: Point; screen: Point } | null = null;
  private id: string | null = null;

  constructor(private readonly ctx: ToolContext) {}

  down(p: ToolPointer): void {
    this.origin = { board: p.board, screen: p.screen };
    this.id = null;
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
      if (!editor.do({ k: "add", e: this.element(this.id, o.board, w, h) })) {
        editor.end();
        this.origin = null;
      }
      return;
    }
    if (this.ctx.model.has(this.id)) editor.do({ k: "update", id: this.id, set: { w, h } });
  }

  up(p: ToolPointer): void {
    this.move(p);
    this.finish();
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
