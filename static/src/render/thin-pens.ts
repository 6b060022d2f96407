/**
 * Thin pens: strokes that are under two pixels wide on screen (a zoomed-out board) are drawn as
 * plain polylines, batched per colour and width, instead of filling one perfect-freehand outline
 * each. At that size the outline's shape is invisible, and thousands of small fills are what
 * makes a zoomed-out board of 10,000 strokes slow to paint. Points closer than a pixel to the
 * previous one are skipped, for the same reason.
 *
 * Batching changes the stacking only among thin strokes (the renderer flushes a batch before
 * anything else is painted), which at under two pixels wide nobody can see.
 */
import type { PenElement } from "../model/types";
import { penPoints, penSize } from "./geometry";
import { inked } from "./shapes";

/** Below this on-screen diameter (CSS px) a pen counts as thin. */
export const THIN_PX = 2;

/** The ink of a freehand stroke is on average a little narrower than its nominal size. */
const AVERAGE_WIDTH = 0.6;

/** The decimated polyline of a stroke for one pixel size: panning reuses it frame after frame. */
const polylines = new WeakMap<PenElement, { pixel: number; path: Path2D }>();

function polyline(el: PenElement, pixel: number): Path2D {
  const hit = polylines.get(el);
  if (hit && hit.pixel === pixel) return hit.path;
  const pts = penPoints(el);
  const path = new Path2D();
  let lx = pts[0] as number;
  let ly = pts[1] as number;
  path.moveTo(lx, ly);
  const n = pts.length;
  for (let i = 2; i < n; i += 2) {
    const x = pts[i] as number;
    const y = pts[i + 1] as number;
    if (Math.abs(x - lx) < pixel && Math.abs(y - ly) < pixel && i + 2 < n) continue;
    path.lineTo(x, y);
    lx = x;
    ly = y;
  }
  if (n === 2) path.lineTo(lx + pixel / 2, ly);
  polylines.set(el, { pixel, path });
  return path;
}

export class ThinPenBatch {
  private readonly paths = new Map<string, { path: Path2D; color: string; width: number }>();

  get empty(): boolean {
    return this.paths.size === 0;
  }

  /** Adds a stroke; `pixel` is one screen pixel in board units. */
  add(el: PenElement, pixel: number): void {
    const width = Math.max(pixel, penSize(el.width) * AVERAGE_WIDTH);
    // Widths within half a pixel share a batch.
    const bucket = Math.round(width / (pixel / 2));
    const key = `${el.stroke}/${bucket}`;
    let batch = this.paths.get(key);
    if (!batch) {
      batch = { path: new Path2D(), color: el.stroke, width: (bucket * pixel) / 2 };
      this.paths.set(key, batch);
    }
    batch.path.addPath(polyline(el, pixel));
  }

  flush(ctx: CanvasRenderingContext2D): void {
    if (this.paths.size === 0) return;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    for (const b of this.paths.values()) {
      ctx.strokeStyle = inked(b.color);
      ctx.lineWidth = b.width;
      ctx.stroke(b.path);
    }
    this.paths.clear();
  }
}
