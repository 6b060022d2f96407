/**
 * Snapping while moving: the moving selection's edges and centre snap to those of the other
 * shapes in view, within a few screen pixels, and the lines they snap to are drawn as guides.
 * Alt held while dragging turns it off.
 */
import type { Box, Point } from "../render/viewport";
import { shapeBox } from "./arrange";
import type { ToolContext } from "./tool";

const SNAP_PX = 6;
const GUIDE_COLOR = "#e8590c";

interface Guide {
  axis: "x" | "y";
  at: number;
  /** The extent of the guide along the other axis. */
  from: number;
  to: number;
}

/** The x (or y) of a box's left edge, centre and right edge (or top, middle, bottom). */
const stops = (b: Box, axis: "x" | "y"): number[] =>
  axis === "x" ? [b.minX, (b.minX + b.maxX) / 2, b.maxX] : [b.minY, (b.minY + b.maxY) / 2, b.maxY];

export class Snapper {
  private readonly targets: Box[] = [];
  guides: Guide[] = [];

  /** `moving`: the box of what moves, at the start; `skip`: what moves (never a target). */
  constructor(
    private readonly ctx: ToolContext,
    private readonly moving: Box,
    skip: ReadonlySet<string>,
  ) {
    ctx.renderer.sync();
    for (const el of ctx.renderer.index.visible(ctx.viewport.visible())) {
      if (!skip.has(el.id) && el.type !== "pen") this.targets.push(shapeBox(el));
    }
  }

  /** The move (dx, dy) adjusted so an edge or centre lands on another shape's, if one is near. */
  snap(dx: number, dy: number, off: boolean): Point {
    this.guides = [];
    if (off || this.targets.length === 0) return { x: dx, y: dy };
    const tol = SNAP_PX / this.ctx.viewport.zoom;
    const box = {
      minX: this.moving.minX + dx,
      minY: this.moving.minY + dy,
      maxX: this.moving.maxX + dx,
      maxY: this.moving.maxY + dy,
    };
    const sx = this.best(box, "x", tol);
    const sy = this.best(box, "y", tol);
    const snapped = {
      minX: box.minX + (sx?.shift ?? 0),
      minY: box.minY + (sy?.shift ?? 0),
      maxX: box.maxX + (sx?.shift ?? 0),
      maxY: box.maxY + (sy?.shift ?? 0),
    };
    for (const s of [sx, sy]) {
      if (!s) continue;
      const t = s.target;
      this.guides.push(
        s.axis === "x"
          ? {
              axis: "x",
              at: s.at,
              from: Math.min(t.minY, snapped.minY),
              to: Math.max(t.maxY, snapped.maxY),
            }
          : {
              axis: "y",
              at: s.at,
              from: Math.min(t.minX, snapped.minX),
              to: Math.max(t.maxX, snapped.maxX),
            },
      );
    }
    return { x: dx + (sx?.shift ?? 0), y: dy + (sy?.shift ?? 0) };
  }

  private best(
    box: Box,
    axis: "x" | "y",
    tol: number,
  ): { axis: "x" | "y"; shift: number; at: number; target: Box } | null {
    let best: { axis: "x" | "y"; shift: number; at: number; target: Box } | null = null;
    const mine = stops(box, axis);
    for (const t of this.targets) {
      for (const at of stops(t, axis)) {
        for (const m of mine) {
          const shift = at - m;
          if (Math.abs(shift) <= tol && (!best || Math.abs(shift) < Math.abs(best.shift)))
            best = { axis, shift, at, target: t };
        }
      }
    }
    return best;
  }

  paint(ctx: CanvasRenderingContext2D): void {
    if (this.guides.length === 0) return;
    const px = 1 / this.ctx.viewport.zoom;
    ctx.save();
    ctx.strokeStyle = GUIDE_COLOR;
    ctx.lineWidth = px;
    ctx.setLineDash([4 * px, 4 * px]);
    ctx.beginPath();
    for (const g of this.guides) {
      if (g.axis === "x") {
        ctx.moveTo(g.at, g.from);
        ctx.lineTo(g.at, g.to);
      } else {
        ctx.moveTo(g.from, g.at);
        ctx.lineTo(g.to, g.at);
      }
    }
    ctx.stroke();
    ctx.restore();
  }
}
