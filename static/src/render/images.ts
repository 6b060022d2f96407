/**
 * Images on the canvas: each blob is fetched and decoded once, then drawn from the cache.
 *
 * A blob's name is the hash of its bytes, so a cached picture never goes stale. Memory is what
 * images cost: a 1 MB photo decodes to 10-50 MB of pixels, so a board of a hundred of them
 * cannot keep every one decoded at full size. Each image therefore keeps a preview (at most
 * PREVIEW_PX on its long side, a few hundred KB) for as long as the page lives, which is what
 * is drawn when the image is small on screen; the full picture is decoded only when it is shown
 * larger than that, and the least recently drawn full pictures are released beyond a budget
 * (the browser's HTTP cache keeps the bytes, the blob being immutable). While a picture loads,
 * a placeholder box holds its place. The renderer only calls this for images in view, so
 * off-screen images cost nothing to draw.
 */
import { type InkMap, trueInk } from "./ink";
import type { Box } from "./viewport";

/** What an image element needs to be drawn (PROTOCOL.md 1.1: `w`, `h`, `blob`). */
export interface ImageLike {
  x: number;
  y: number;
  w: number;
  h: number;
  blob: string;
}

/** Longest side of the preview kept for every image. */
export const PREVIEW_PX = 256;
/** Decoded full-size pictures kept at most (bytes of pixels, 4 per pixel). */
const FULL_BUDGET = 256 << 20;
/** Decodes at a time: each one briefly holds a whole picture's pixels. */
const MAX_LOADS = 4;

type Source = ImageBitmap;

interface Entry {
  preview: Source | null;
  full: Source | null;
  /** A fetch and decode of the full picture is under way or queued. */
  loading: boolean;
  /** Keep the full picture once decoded (it is drawn large, or exported); else only the
   * preview is kept from the decode. */
  keepFull: boolean;
  failed: boolean;
  /** Natural size in pixels, once known. */
  w: number;
  h: number;
}

export class ImageCache {
  private readonly entries = new Map<string, Entry>();
  /** Blobs whose full picture is decoded, least recently drawn first. */
  private readonly lru = new Map<string, number>();
  private fullBytes = 0;
  private running = 0;
  private readonly queue: (() => void)[] = [];
  private readonly waiters = new Map<string, (() => void)[]>();
  /** Blobs whose picture was decoded or failed since takeChanged() was last called: what is
   * drawn for them changed, and the renderer's cached scene must paint them again. */
  private changed = new Set<string>();

  constructor(
    private readonly url: (blob: string) => string,
    /** Called when a picture has been decoded: the scene should be painted again. */
    private readonly onReady: () => void,
    private readonly fullBudget = FULL_BUDGET,
  ) {}

  /**
   * The best picture there is for drawing `blob` `screenPx` device pixels wide (null: none
   * yet). Starts loading what is missing; onReady says when it came.
   */
  source(blob: string, screenPx: number): Source | null {
    const e = this.entry(blob);
    if (e.failed) return null;
    // A preview smaller than the picture is enough until it would be stretched visibly.
    const wantFull =
      e.preview === null
        ? screenPx > PREVIEW_PX * 1.25
        : e.preview.width < e.w && screenPx > e.preview.width * 1.25;
    if (e.full) {
      this.touch(blob);
      return e.full;
    }
    if (wantFull) e.keepFull = true;
    if (wantFull || e.preview === null) this.load(blob, e);
    return e.preview;
  }

  /** The blobs whose picture changed since the last call (see `changed`). */
  takeChanged(): ReadonlySet<string> {
    const out = this.changed;
    this.changed = new Set();
    return out;
  }

  failed(blob: string): boolean {
    return this.entries.get(blob)?.failed === true;
  }

  /** A picture decoded elsewhere (the upload that made the blob): no need to fetch it. */
  async put(blob: string, picture: Source): Promise<void> {
    const e = this.entry(blob);
    if (e.preview) return;
    e.failed = false;
    e.keepFull = true; // it was just placed, large: likely drawn larger than a preview
    await this.adopt(blob, e, picture);
    this.changed.add(blob);
    this.onReady();
  }

  /** Resolves once every one of `blobs` has its full picture decoded or has failed (export). */
  async ready(blobs: Iterable<string>): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const blob of new Set(blobs)) {
      const e = this.entry(blob);
      if (e.full || e.failed || (e.preview && e.preview.width >= e.w)) continue;
      e.keepFull = true;
      waits.push(new Promise((resolve) => this.whenLoaded(blob, resolve)));
      this.load(blob, e);
    }
    await Promise.all(waits);
  }

  /** The decoded picture for `blob` at full size, if it is in memory now. */
  full(blob: string): Source | null {
    return this.entries.get(blob)?.full ?? null;
  }

  /** Pictures shown, failed, and bytes of decoded pixels held (the bench and tests). */
  stats(): { ready: number; failed: number; decodedBytes: number } {
    let ready = 0;
    let failed = 0;
    let bytes = this.fullBytes;
    for (const e of this.entries.values()) {
      if (e.preview) {
        ready++;
        bytes += bytesOf(e.preview);
      }
      if (e.failed) failed++;
    }
    return { ready, failed, decodedBytes: bytes };
  }

  private entry(blob: string): Entry {
    let e = this.entries.get(blob);
    if (!e) {
      e = {
        preview: null,
        full: null,
        loading: false,
        keepFull: false,
        failed: false,
        w: 0,
        h: 0,
      };
      this.entries.set(blob, e);
    }
    return e;
  }

  private whenLoaded(blob: string, fn: () => void): void {
    const list = this.waiters.get(blob) ?? [];
    list.push(fn);
    this.waiters.set(blob, list);
  }

  private settle(blob: string): void {
    const list = this.waiters.get(blob);
    this.waiters.delete(blob);
    for (const fn of list ?? []) fn();
  }

  private load(blob: string, e: Entry): void {
    if (e.loading || e.full || e.failed) return;
    e.loading = true;
    const run = (): void => {
      this.running++;
      void this.fetchAndDecode(blob, e).finally(() => {
        this.running--;
        e.loading = false;
        this.settle(blob);
        this.queue.shift()?.();
      });
    };
    if (this.running < MAX_LOADS) run();
    else this.queue.push(run);
  }

  private async fetchAndDecode(blob: string, e: Entry): Promise<void> {
    try {
      const r = await fetch(this.url(blob));
      if (!r.ok) throw new Error(String(r.status));
      const picture = await createImageBitmap(await r.blob());
      await this.adopt(blob, e, picture);
    } catch {
      e.failed = true;
    }
    this.changed.add(blob);
    this.onReady();
  }

  /** Keeps `picture` as the full one and makes the preview from it if there is none yet. */
  private async adopt(blob: string, e: Entry, picture: Source): Promise<void> {
    e.w = picture.width;
    e.h = picture.height;
    if (!e.preview) {
      const s = Math.min(1, PREVIEW_PX / Math.max(e.w, e.h));
      e.preview =
        s >= 1
          ? picture
          : await createImageBitmap(picture, {
              resizeWidth: Math.max(1, Math.round(e.w * s)),
              resizeHeight: Math.max(1, Math.round(e.h * s)),
              resizeQuality: "medium",
            });
    }
    if (e.preview === picture) return; // small enough to be its own preview
    if (!e.keepFull) {
      picture.close(); // drawn small: the preview is all it needs
      return;
    }
    if (e.full) e.full.close();
    else this.fullBytes += bytesOf(picture);
    e.full = picture;
    this.touch(blob);
    this.evict(blob);
  }

  private touch(blob: string): void {
    this.lru.delete(blob);
    this.lru.set(blob, 0);
  }

  /** Releases the least recently drawn full pictures beyond the budget (never `keep`). */
  private evict(keep: string): void {
    for (const blob of this.lru.keys()) {
      if (this.fullBytes <= this.fullBudget) return;
      if (blob === keep) continue;
      const e = this.entries.get(blob);
      this.lru.delete(blob);
      if (!e?.full) continue;
      this.fullBytes -= bytesOf(e.full);
      e.full.close();
      e.full = null;
    }
  }
}

const bytesOf = (s: Source): number => s.width * s.height * 4;

const PLACEHOLDER_FILL = "#f1f3f5";
const PLACEHOLDER_LINE = "#ced4da";

/**
 * A grey box where a picture is not (yet) drawn; crossed out when it could not be loaded. The
 * box is inked like the board (a dark grey on a dark board, not a glaring white); the picture
 * itself never is.
 */
export function drawPlaceholder(
  ctx: CanvasRenderingContext2D,
  el: ImageLike,
  pixel: number,
  failed: boolean,
  ink: InkMap = trueInk,
): void {
  ctx.fillStyle = ink(PLACEHOLDER_FILL);
  ctx.fillRect(el.x, el.y, el.w, el.h);
  ctx.strokeStyle = ink(PLACEHOLDER_LINE);
  ctx.lineWidth = pixel;
  ctx.strokeRect(el.x, el.y, el.w, el.h);
  if (failed) {
    ctx.beginPath();
    ctx.moveTo(el.x, el.y);
    ctx.lineTo(el.x + el.w, el.y + el.h);
    ctx.moveTo(el.x + el.w, el.y);
    ctx.lineTo(el.x, el.y + el.h);
    ctx.stroke();
  }
}

/**
 * Draws an image element from the cache (a placeholder while it loads, inked with `ink`).
 * `pixel` is one device pixel in board units. With `within` (a piece of the cached scene being
 * painted again, in board units, on an unturned picture), only the part of the picture under
 * it is resampled: resampling a whole photo to paint the strip a pan uncovers took most of the
 * frame. The piece is clipped, so what lies past `within` is never seen.
 */
export function drawImageElement(
  ctx: CanvasRenderingContext2D,
  el: ImageLike,
  cache: ImageCache | null,
  pixel: number,
  ink: InkMap = trueInk,
  within: Box | null = null,
): void {
  const picture = cache?.source(el.blob, Math.abs(el.w) / pixel) ?? null;
  if (!picture) {
    drawPlaceholder(ctx, el, pixel, cache?.failed(el.blob) === true, ink);
    return;
  }
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  if (within && el.w > 0 && el.h > 0) {
    // A few pixels more than the piece, so the filter sees the same neighbours at its edge.
    const pad = 4 * pixel;
    const x0 = Math.max(el.x, within.minX - pad);
    const y0 = Math.max(el.y, within.minY - pad);
    const x1 = Math.min(el.x + el.w, within.maxX + pad);
    const y1 = Math.min(el.y + el.h, within.maxY + pad);
    if (x1 <= x0 || y1 <= y0) return;
    const sx = picture.width / el.w;
    const sy = picture.height / el.h;
    ctx.drawImage(
      picture,
      (x0 - el.x) * sx,
      (y0 - el.y) * sy,
      (x1 - x0) * sx,
      (y1 - y0) * sy,
      x0,
      y0,
      x1 - x0,
      y1 - y0,
    );
    return;
  }
  ctx.drawImage(picture, el.x, el.y, el.w, el.h);
}
