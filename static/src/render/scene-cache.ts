/**
 * SceneCache: the board's elements painted once into an offscreen canvas the size of the
 * screen, then copied to the screen each frame; only what changed is painted again.
 *
 * Why: a zoomed-out board of 100,000 elements takes hundreds of milliseconds to paint, and
 * panning or a remote edit used to repaint all of it every frame. Now
 * - panning at a steady zoom shifts the cached picture by whole device pixels and paints only
 *   the strips it uncovers (damage.ts: wholeShift, exposed);
 * - an edit (ours, another user's, a replayed op) paints again only the device pixels of the
 *   element's old and new boxes: each piece is cleared and every element meeting it is painted
 *   again in stacking order, clipped to it, so the pixels come out as a full repaint's would;
 * - a zoom, a resize, a theme change or a new source paints everything, as before; except a
 *   zoom of a board whose last full paint was slow (`quickZoom`): the picture is scaled to the
 *   new zoom at once, and painted again once the zoom has settled (the renderer's timer), so a
 *   zoom of 100,000 elements is not a second per frame.
 * The grid is not cached: it is painted under the copy every frame (a few dozen lines).
 */
import {
  exposed,
  merge,
  type PixelRect,
  type Placement,
  repaintAll,
  toBoard,
  toPixels,
  wholeShift,
} from "./damage";
import type { Box } from "./viewport";

/** Paints the elements meeting `box` (board units) on a context set to board units; `piece`:
 * only that box is being painted again (clipped to it), not the whole screen. */
export type PaintBox = (ctx: CanvasRenderingContext2D, box: Box, piece: boolean) => void;

export class SceneCache {
  private front: HTMLCanvasElement;
  private back: HTMLCanvasElement;
  /** Where the front picture's board origin is; null: nothing valid is cached. */
  private at: Placement | null = null;
  private damage: Box[] = [];
  /** Pieces painted by the last update (0: none, -1: everything); the tests read it. */
  lastPieces = 0;
  /** The picture was scaled rather than painted at its zoom: it must be painted again. */
  stale = false;

  constructor() {
    this.front = document.createElement("canvas");
    this.back = document.createElement("canvas");
  }

  get canvas(): HTMLCanvasElement {
    return this.front;
  }

  resize(width: number, height: number): void {
    for (const c of [this.front, this.back]) {
      c.width = width;
      c.height = height;
    }
    this.damageAll();
  }

  /** The pixels of board box `b` must be painted again (an element was there or is now). */
  damageBox(b: Box): void {
    if (this.at) this.damage.push(b);
  }

  damageAll(): void {
    this.at = null;
    this.damage = [];
  }

  /** Brings the picture up to date for placement `to`, painting with `paint`; with
   * `quickZoom`, a change of zoom scales the picture instead of painting it (`stale`). */
  update(to: Placement, paint: PaintBox, quickZoom = false): void {
    const { width, height } = this.front;
    if (quickZoom && this.at && this.at.scale !== to.scale) {
      const k = to.scale / this.at.scale;
      this.place(
        (this.at.originX - to.originX) * to.scale,
        (this.at.originY - to.originY) * to.scale,
        k,
      );
      this.at = { ...to };
      this.stale = true;
      this.lastPieces = 0;
      return;
    }
    let pieces: PixelRect[] | null = null;
    const shift = this.at ? wholeShift(this.at, to) : null;
    if (shift && Math.abs(shift.dx) < width && Math.abs(shift.dy) < height) {
      if (shift.dx !== 0 || shift.dy !== 0) this.place(shift.dx, shift.dy);
      pieces = exposed(shift.dx, shift.dy, width, height);
      for (const b of this.damage) {
        const r = toPixels(b, to, width, height);
        if (r) pieces.push(r);
      }
      pieces = merge(pieces);
      if (repaintAll(pieces, width, height)) pieces = null;
    }
    this.damage = [];
    this.at = { ...to };
    const ctx = context(this.front);
    if (pieces === null) {
      this.lastPieces = -1;
      this.stale = false;
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, width, height);
      board(ctx, to);
      paint(ctx, toBoard({ x0: 0, y0: 0, x1: width, y1: height }, to), false);
      return;
    }
    this.lastPieces = pieces.length;
    for (const r of pieces) {
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.beginPath();
      ctx.rect(r.x0, r.y0, r.x1 - r.x0, r.y1 - r.y0);
      ctx.clip();
      ctx.clearRect(r.x0, r.y0, r.x1 - r.x0, r.y1 - r.y0);
      board(ctx, to);
      paint(ctx, toBoard(r, to), true);
      ctx.restore();
    }
  }

  /** Moves the picture by `dx`, `dy` device pixels, scaled by `k` (a pan moves it by whole
   * pixels; a quick zoom also scales it, leaving clear what it no longer covers): copied into
   * the back canvas, which becomes the front (a canvas drawn onto itself would be copied by
   * the browser anyway). */
  private place(dx: number, dy: number, k = 1): void {
    const { width, height } = this.front;
    const ctx = context(this.back);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.globalCompositeOperation = "copy";
    ctx.drawImage(this.front, dx, dy, width * k, height * k);
    ctx.globalCompositeOperation = "source-over";
    [this.front, this.back] = [this.back, this.front];
  }
}

function board(ctx: CanvasRenderingContext2D, at: Placement): void {
  const s = at.scale;
  ctx.setTransform(s, 0, 0, s, -at.originX * s, -at.originY * s);
}

function context(c: HTMLCanvasElement): CanvasRenderingContext2D {
  const ctx = c.getContext("2d");
  if (!ctx) throw new Error("2D canvas is not available");
  return ctx;
}
