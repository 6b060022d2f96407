/**
 * Damage: which device pixels of the cached scene (scene-cache.ts) must be painted again.
 *
 * Pure arithmetic, kept apart from the canvas so that it is unit-tested in node: where a
 * board box lands in device pixels, how far the cache can be shifted when the view pans, and
 * when repainting pieces costs more than repainting the whole.
 */
import type { Box } from "./viewport";

/** A rectangle of device pixels: integer corners, x0 < x1, y0 < y1. */
export interface PixelRect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Where the board is on the device: device = (board - origin) * scale. */
export interface Placement {
  originX: number;
  originY: number;
  scale: number;
}

/**
 * Device pixels added around a damaged box: antialiasing reaches one pixel past a shape's
 * edge, and bounds() pads by one board unit, which is under a pixel only from 100 % up.
 */
export const DAMAGE_MARGIN_PX = 2;

/** More pieces than this, or more of the screen than REPAINT_ALL_AREA, repaint everything. */
export const MAX_PIECES = 48;
export const REPAINT_ALL_AREA = 0.5;

/**
 * The device pixels `box` covers (with the margin), clipped to a `width` x `height` canvas;
 * null when none of it is on the canvas.
 */
export function toPixels(box: Box, at: Placement, width: number, height: number): PixelRect | null {
  const x0 = Math.max(0, Math.floor((box.minX - at.originX) * at.scale) - DAMAGE_MARGIN_PX);
  const y0 = Math.max(0, Math.floor((box.minY - at.originY) * at.scale) - DAMAGE_MARGIN_PX);
  const x1 = Math.min(width, Math.ceil((box.maxX - at.originX) * at.scale) + DAMAGE_MARGIN_PX);
  const y1 = Math.min(height, Math.ceil((box.maxY - at.originY) * at.scale) + DAMAGE_MARGIN_PX);
  return x0 < x1 && y0 < y1 ? { x0, y0, x1, y1 } : null;
}

/** The board box under device rectangle `r`. */
export function toBoard(r: PixelRect, at: Placement): Box {
  return {
    minX: at.originX + r.x0 / at.scale,
    minY: at.originY + r.y0 / at.scale,
    maxX: at.originX + r.x1 / at.scale,
    maxY: at.originY + r.y1 / at.scale,
  };
}

/** Within this of a whole pixel, a shift counts as whole (float noise of the pan sums). */
const WHOLE = 1e-3;

/**
 * How many whole device pixels the picture painted at `from` must move to be right at `to`
 * (null: not a whole number of pixels, or another scale; the cache is then repainted).
 */
export function wholeShift(from: Placement, to: Placement): { dx: number; dy: number } | null {
  if (from.scale !== to.scale) return null;
  const dx = (from.originX - to.originX) * to.scale;
  const dy = (from.originY - to.originY) * to.scale;
  const rx = Math.round(dx);
  const ry = Math.round(dy);
  if (Math.abs(dx - rx) > WHOLE || Math.abs(dy - ry) > WHOLE) return null;
  return { dx: rx, dy: ry };
}

/** The strips a shift by (dx, dy) uncovers on a `width` x `height` canvas. */
export function exposed(dx: number, dy: number, width: number, height: number): PixelRect[] {
  const out: PixelRect[] = [];
  if (dx > 0) out.push({ x0: 0, y0: 0, x1: Math.min(width, dx), y1: height });
  if (dx < 0) out.push({ x0: Math.max(0, width + dx), y0: 0, x1: width, y1: height });
  if (dy > 0) out.push({ x0: 0, y0: 0, x1: width, y1: Math.min(height, dy) });
  if (dy < 0) out.push({ x0: 0, y0: Math.max(0, height + dy), x1: width, y1: height });
  return out;
}

const areaOf = (r: PixelRect): number => (r.x1 - r.x0) * (r.y1 - r.y0);

const union = (a: PixelRect, b: PixelRect): PixelRect => ({
  x0: Math.min(a.x0, b.x0),
  y0: Math.min(a.y0, b.y0),
  x1: Math.max(a.x1, b.x1),
  y1: Math.max(a.y1, b.y1),
});

/**
 * Pieces merged into their union wherever the union costs no more pixels than the two apart
 * (the same element damaged twice, its old and new box overlapping), until no such pair is
 * left. Others stay apart even when they overlap: the two strips of a diagonal pan meet at a
 * corner, and their union is the whole screen. Overlapping pieces are still right: each is
 * cleared before it is painted, so a pixel in both is painted twice, not blended twice.
 */
export function merge(rects: readonly PixelRect[]): PixelRect[] {
  const out: PixelRect[] = [];
  for (const r of rects) {
    let cur = { ...r };
    for (let i = 0; i < out.length;) {
      const o = out[i] as PixelRect;
      const u = union(o, cur);
      if (areaOf(u) <= areaOf(o) + areaOf(cur)) {
        cur = u;
        out.splice(i, 1);
        i = 0; // the grown rectangle may now merge with one already passed
      } else i++;
    }
    out.push(cur);
  }
  return out;
}

/** Whether repainting `pieces` costs more than repainting the whole canvas. */
export function repaintAll(pieces: readonly PixelRect[], width: number, height: number): boolean {
  if (pieces.length > MAX_PIECES) return true;
  let area = 0;
  for (const r of pieces) area += areaOf(r);
  return area > REPAINT_ALL_AREA * width * height;
}
