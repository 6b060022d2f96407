/**
 * Laser trails: everyone's laser points (ours drawn at once, others' as the server relays them),
 * painted on the overlay in the pointer's colour and fading out in about a second. They live
 * here only: never in the model, the log, or undo.
 */
import type { Renderer } from "./renderer";
import type { Viewport } from "./viewport";

/** A point is gone this long after it was drawn. */
export const LASER_FADE_MS = 1000;

interface Trail {
  color: string;
  /** x, y, time: flat, oldest first. */
  pts: number[];
}

export class LaserTrails {
  private readonly trails = new Map<number, Trail>();
  private frame = 0;

  constructor(
    private readonly renderer: Renderer,
    private readonly viewport: Viewport,
  ) {
    renderer.addOverlay((ctx) => this.paint(ctx));
  }

  add(id: number, color: string, x: number, y: number): void {
    let trail = this.trails.get(id);
    if (!trail) {
      trail = { color, pts: [] };
      this.trails.set(id, trail);
    }
    trail.pts.push(x, y, performance.now());
    this.renderer.invalidateOverlay();
  }

  /** How many points are still visible (the browser tests wait on it). */
  get size(): number {
    let n = 0;
    for (const t of this.trails.values()) n += t.pts.length / 3;
    return n;
  }

  private paint(ctx: CanvasRenderingContext2D): void {
    const now = performance.now();
    const px = 1 / this.viewport.zoom;
    for (const [id, trail] of this.trails) {
      const pts = trail.pts;
      let first = 0;
      while (first < pts.length && now - (pts[first + 2] ?? 0) >= LASER_FADE_MS) first += 3;
      if (first > 0) pts.splice(0, first);
      if (pts.length === 0) {
        this.trails.delete(id);
        continue;
      }
      ctx.strokeStyle = trail.color;
      ctx.fillStyle = trail.color;
      ctx.lineCap = "round";
      ctx.lineWidth = 4 * px;
      for (let i = 0; i < pts.length; i += 3) {
        const x = pts[i] ?? 0;
        const y = pts[i + 1] ?? 0;
        ctx.globalAlpha = Math.max(0, 1 - (now - (pts[i + 2] ?? 0)) / LASER_FADE_MS);
        if (i === 0) {
          ctx.beginPath();
          ctx.arc(x, y, 3 * px, 0, Math.PI * 2);
          ctx.fill();
        } else {
          ctx.beginPath();
          ctx.moveTo(pts[i - 3] ?? 0, pts[i - 2] ?? 0);
          ctx.lineTo(x, y);
          ctx.stroke();
        }
      }
      // The head glows: a dot at the newest point.
      ctx.globalAlpha = 1;
      ctx.beginPath();
      ctx.arc(pts[pts.length - 3] ?? 0, pts[pts.length - 2] ?? 0, 5 * px, 0, Math.PI * 2);
      ctx.globalAlpha = Math.max(0, 1 - (now - (pts[pts.length - 1] ?? 0)) / LASER_FADE_MS);
      ctx.fill();
    }
    ctx.globalAlpha = 1;
    // The overlay repaints only when asked: keep asking while something still fades.
    if (this.trails.size > 0 && !this.frame) {
      this.frame = requestAnimationFrame(() => {
        this.frame = 0;
        this.renderer.invalidateOverlay();
      });
    }
  }
}
