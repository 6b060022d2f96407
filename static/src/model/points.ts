/**
 * Pen points: PROTOCOL.md stores them as integer deltas in units of 1/ps board units. These
 * helpers turn them into absolute board coordinates and back, without accumulating rounding
 * error (the encoder works on the integer grid, not on floats).
 */
import type { PenElement } from "./types";

/** Absolute board coordinates [x0, y0, x1, y1, ...] of a pen element. */
export function decodePoints(el: PenElement): Float64Array {
  const ps = el.ps ?? 1;
  const out = new Float64Array(el.pts.length);
  let gx = 0;
  let gy = 0;
  for (let i = 0; i + 1 < el.pts.length; i += 2) {
    gx += el.pts[i] as number;
    gy += el.pts[i + 1] as number;
    out[i] = el.x + gx / ps;
    out[i + 1] = el.y + gy / ps;
  }
  return out;
}

/** ps for a stroke started at `zoom`: one integer step is about one screen pixel. */
export function scaleForZoom(zoom: number): number {
  return Math.min(64, Math.max(1, Math.round(zoom)));
}

/**
 * Encodes a stroke point by point, as it is drawn. Keeps the last point on the integer grid so
 * that the deltas sum exactly to the quantised position of every point.
 */
export class PointEncoder {
  private gx = 0;
  private gy = 0;

  constructor(
    readonly originX: number,
    readonly originY: number,
    readonly ps: number,
  ) {}

  /** The delta pair for board point (x, y), or null if it rounds to the previous point. */
  next(x: number, y: number, first = false): [number, number] | null {
    const qx = Math.round((x - this.originX) * this.ps);
    const qy = Math.round((y - this.originY) * this.ps);
    const dx = qx - this.gx;
    const dy = qy - this.gy;
    if (!first && dx === 0 && dy === 0) return null;
    this.gx = qx;
    this.gy = qy;
    return [dx, dy];
  }
}
