/**
 * Pen: freehand ink. The stroke is added on pointer down and grows with `append` as the pointer
 * moves, so others watch it being drawn. Points are encoded on a grid of 1/ps board units with
 * ps chosen from the zoom, which keeps one step about one screen pixel (PROTOCOL.md).
 */
import { PointEncoder, scaleForZoom } from "../model/points";
import type { PenElement } from "../model/types";
import type { Point } from "../render/viewport";
import type { Tool, ToolContext, ToolPointer } from "./tool";

interface Stroke {
  id: string;
  encoder: PointEncoder;
  withPressure: boolean;
  values: number;
}

const toByte = (p: number | null): number => Math.round(Math.min(1, Math.max(0, p ?? 0.5)) * 255);

export class PenTool implements Tool {
  readonly name = "pen" as const;
  readonly cursor = "crosshair";
  private stroke: Stroke | null = null;

  constructor(private readonly ctx: ToolContext) {}

  down(p: ToolPointer): void {
    this.ctx.editor.begin();
    this.start(p.board, p.pressure);
  }

  move(p: ToolPointer): void {
    if (!this.stroke) return;
    const pts: number[] = [];
    const pr: number[] = [];
    const limit = this.ctx.model.limits.values_per_element;
    for (const s of p.samples) {
      const stroke: Stroke | null = this.stroke;
      if (!stroke) return;
      if (stroke.values + pts.length + 2 > limit) {
        // A stroke this long would be refused: flush and go on as a new element, seamlessly.
        this.flush(pts, pr);
        pts.length = 0;
        pr.length = 0;
        this.start(s.board, s.pressure);
        continue;
      }
      const d = stroke.encoder.next(s.board.x, s.board.y);
      if (!d) continue;
      pts.push(d[0], d[1]);
      if (stroke.withPressure) pr.push(toByte(s.pressure));
    }
    this.flush(pts, pr);
  }

  up(p: ToolPointer): void {
    this.move(p);
    this.finish();
  }

  cancel(): void {
    this.finish();
  }

  private start(at: Point, pressure: number | null): void {
    const { style, viewport, editor } = this.ctx;
    const ps = scaleForZoom(viewport.zoom);
    const id = this.ctx.newId();
    const encoder = new PointEncoder(at.x, at.y, ps);
    const first = encoder.next(at.x, at.y, true) as [number, number];
    // Mice report a constant 0.5 (or 0): only a real stylus gives pressure worth storing.
    const withPressure = pressure !== null;
    const el: PenElement = {
      id,
      type: "pen",
      x: at.x,
      y: at.y,
      stroke: style.stroke,
      width: style.width,
      pts: first,
    };
    if (ps !== 1) el.ps = ps;
    if (withPressure) el.pr = [toByte(pressure)];
    this.stroke = { id, encoder, withPressure, values: 2 };
    if (!editor.do({ k: "add", e: el })) this.stroke = null;
  }

  private flush(pts: number[], pr: number[]): void {
    if (!this.stroke || pts.length === 0) return;
    const op = this.stroke.withPressure
      ? { k: "append" as const, id: this.stroke.id, pts: [...pts], pr: [...pr] }
      : { k: "append" as const, id: this.stroke.id, pts: [...pts] };
    this.stroke.values += pts.length;
    if (!this.ctx.editor.do(op)) this.stroke = null;
  }

  private finish(): void {
    this.stroke = null;
    this.ctx.editor.end();
  }
}
