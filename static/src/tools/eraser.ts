/**
 * Eraser: every element the pointer passes over is marked (drawn faded) and all of them are
 * deleted together on release, as one undoable action. The path between two pointer events is
 * sampled so that a fast swipe does not jump over thin strokes.
 */
import { hitTest } from "../render/geometry";
import type { Point } from "../render/viewport";
import { tolerance, type Tool, type ToolContext, type ToolPointer } from "./tool";

export class EraserTool implements Tool {
  readonly name = "eraser" as const;
  readonly cursor = "cell";
  private marked = new Set<string>();
  private last: Point | null = null;
  private at: Point | null = null;

  constructor(private readonly ctx: ToolContext) {}

  down(p: ToolPointer): void {
    this.marked.clear();
    this.last = p.board;
    this.touch(p.board);
  }

  move(p: ToolPointer): void {
    if (!this.last) return;
    const tol = tolerance(this.ctx.viewport, 8);
    const from = this.last;
    const dist = Math.hypot(p.board.x - from.x, p.board.y - from.y);
    const steps = Math.max(1, Math.ceil(dist / tol));
    for (let i = 1; i <= steps; i++) {
      this.touch({
        x: from.x + ((p.board.x - from.x) * i) / steps,
        y: from.y + ((p.board.y - from.y) * i) / steps,
      });
    }
    this.last = p.board;
  }

  hover(p: ToolPointer): void {
    this.at = p.board;
    this.ctx.renderer.invalidateOverlay();
  }

  up(p: ToolPointer): void {
    this.move(p);
    this.commit();
  }

  cancel(): void {
    this.commit();
  }

  deactivate(): void {
    this.at = null;
    this.ctx.renderer.invalidateOverlay();
  }

  paintOverlay(ctx: CanvasRenderingContext2D): void {
    if (!this.at) return;
    const r = tolerance(this.ctx.viewport, 8);
    ctx.beginPath();
    ctx.arc(this.at.x, this.at.y, r, 0, 2 * Math.PI);
    ctx.lineWidth = 1 / this.ctx.viewport.zoom;
    ctx.strokeStyle = "#868e96";
    ctx.stroke();
  }

  private touch(p: Point): void {
    this.at = p;
    const { renderer, viewport } = this.ctx;
    renderer.sync();
    const tol = tolerance(viewport, 8);
    let added = false;
    for (const item of renderer.index.search({
      minX: p.x - tol,
      minY: p.y - tol,
      maxX: p.x + tol,
      maxY: p.y + tol,
    })) {
      // A locked element cannot be deleted (PROTOCOL.md 1.1): the eraser passes over it.
      if (!this.marked.has(item.id) && !item.el.locked && hitTest(item.el, p, tol)) {
        this.marked.add(item.id);
        renderer.faded.add(item.id);
        added = true;
      }
    }
    if (added) renderer.invalidate();
    else renderer.invalidateOverlay();
  }

  private commit(): void {
    const ids = [...this.marked].filter((id) => this.ctx.model.has(id));
    this.marked.clear();
    this.last = null;
    this.ctx.renderer.faded.clear();
    this.ctx.renderer.invalidate();
    this.ctx.editor.deleteAll(ids);
  }
}
