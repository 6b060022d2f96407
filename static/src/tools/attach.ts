/**
 * Attaching line and arrow ends to shapes (PROTOCOL.md 1.1 `from`/`to`): which shape an end
 * dropped at a point attaches to, and its highlight while the pointer is over it.
 */
import type { Element } from "../model/types";
import { type Boxed, centre } from "../render/bindings";
import type { Point } from "../render/viewport";
import { tolerance, type ToolContext } from "./tool";

/** What an end attaches to when drawn or dropped on it (frames are areas, not targets). */
const TARGETS: ReadonlySet<string> = new Set(["rect", "ellipse", "note", "image"]);
export const ATTACH_COLOR = "#4263eb";

/** Whether `p` lies inside the element's outline, with `tol` board units of slack. */
export function inside(el: Element, p: Point, tol: number): boolean {
  const b = el as unknown as Boxed;
  const c = centre(b);
  let dx = p.x - c.x;
  let dy = p.y - c.y;
  const a = b.angle ?? 0;
  if (a !== 0) {
    const cos = Math.cos(a);
    const sin = Math.sin(a);
    [dx, dy] = [dx * cos + dy * sin, dy * cos - dx * sin];
  }
  const rx = Math.abs(b.w) / 2 + tol;
  const ry = Math.abs(b.h) / 2 + tol;
  if (el.type === "ellipse") return (dx * dx) / (rx * rx) + (dy * dy) / (ry * ry) <= 1;
  return Math.abs(dx) <= rx && Math.abs(dy) <= ry;
}

/** The topmost shape an end at `p` attaches to, other than those in `skip`. */
export function attachTarget(
  ctx: ToolContext,
  p: Point,
  skip: ReadonlySet<string> = new Set(),
): Element | undefined {
  const tol = tolerance(ctx.viewport, 4);
  ctx.renderer.sync();
  return ctx.renderer.index.topmost(
    p,
    tol,
    (el) => TARGETS.has(el.type) && !skip.has(el.id) && inside(el, p, tol),
  );
}

/** Outlines the shape an end is about to attach to. */
export function paintTarget(ctx: CanvasRenderingContext2D, el: Element, zoom: number): void {
  const b = el as unknown as Boxed;
  const c = centre(b);
  ctx.save();
  ctx.translate(c.x, c.y);
  ctx.rotate(b.angle ?? 0);
  ctx.strokeStyle = ATTACH_COLOR;
  ctx.lineWidth = 3 / zoom;
  ctx.globalAlpha = 0.6;
  ctx.beginPath();
  const pad = 4 / zoom;
  const rx = Math.abs(b.w) / 2 + pad;
  const ry = Math.abs(b.h) / 2 + pad;
  if (el.type === "ellipse") ctx.ellipse(0, 0, rx, ry, 0, 0, 2 * Math.PI);
  else ctx.rect(-rx, -ry, 2 * rx, 2 * ry);
  ctx.stroke();
  ctx.restore();
}
