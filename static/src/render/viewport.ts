/**
 * Viewport: which part of the infinite board the screen shows.
 *
 * screen = (board - origin) * zoom, in CSS pixels relative to the canvas. Zooming keeps the
 * board point under the given screen point still, which is what makes wheel and pinch zoom feel
 * anchored to the fingers.
 */
export const MIN_ZOOM = 0.1;
export const MAX_ZOOM = 30;

export interface Point {
  x: number;
  y: number;
}

export interface Box {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

export class Viewport {
  /** Board coordinates of the canvas' top-left corner. */
  x = 0;
  y = 0;
  zoom = 1;
  /** Canvas size in CSS pixels. */
  width = 0;
  height = 0;
  private readonly listeners: (() => void)[] = [];

  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  toBoard(sx: number, sy: number): Point {
    return { x: this.x + sx / this.zoom, y: this.y + sy / this.zoom };
  }

  toScreen(bx: number, by: number): Point {
    return { x: (bx - this.x) * this.zoom, y: (by - this.y) * this.zoom };
  }

  /** The board area in view. */
  visible(): Box {
    return {
      minX: this.x,
      minY: this.y,
      maxX: this.x + this.width / this.zoom,
      maxY: this.y + this.height / this.zoom,
    };
  }

  resize(width: number, height: number): void {
    this.width = width;
    this.height = height;
    this.changed();
  }

  panBy(dxScreen: number, dyScreen: number): void {
    this.x -= dxScreen / this.zoom;
    this.y -= dyScreen / this.zoom;
    this.changed();
  }

  /** Sets the zoom (clamped), keeping the board point under screen point (sx, sy) in place. */
  zoomTo(zoom: number, sx = this.width / 2, sy = this.height / 2): void {
    const z = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, zoom));
    const anchor = this.toBoard(sx, sy);
    this.zoom = z;
    this.x = anchor.x - sx / z;
    this.y = anchor.y - sy / z;
    this.changed();
  }

  zoomBy(factor: number, sx?: number, sy?: number): void {
    this.zoomTo(this.zoom * factor, sx, sy);
  }

  /** Shows `box` whole, centred, with a margin; an empty board resets to 100 %. */
  fit(box: Box | null, margin = 40): void {
    if (!box) {
      this.reset();
      return;
    }
    const w = Math.max(1, box.maxX - box.minX);
    const h = Math.max(1, box.maxY - box.minY);
    const z = Math.min(
      MAX_ZOOM,
      Math.max(
        MIN_ZOOM,
        Math.min((this.width - 2 * margin) / w, (this.height - 2 * margin) / h, 1),
      ),
    );
    this.zoom = z;
    this.x = (box.minX + box.maxX) / 2 - this.width / 2 / z;
    this.y = (box.minY + box.maxY) / 2 - this.height / 2 / z;
    this.changed();
  }

  /** 100 %, keeping the centre of the screen where it is. */
  reset(): void {
    this.zoomTo(1);
  }

  set(x: number, y: number, zoom: number): void {
    this.x = x;
    this.y = y;
    this.zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, zoom));
    this.changed();
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }
}
