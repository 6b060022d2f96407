/**
 * Renderer: paints the board on two stacked canvases, only when something changed.
 *
 * The scene canvas holds the elements; the overlay canvas holds what moves with the pointer
 * (selection boxes, the marquee, handles). Dragging a marquee over a huge board therefore
 * repaints only the overlay. Both repaint on requestAnimationFrame, once per frame at most, and
 * only after invalidate(): an idle board costs nothing.
 *
 * The elements are painted into a SceneCache (scene-cache.ts) and copied onto the scene canvas
 * over the grid: a pan at a steady zoom or an edit paints only the pixels it changes. So every
 * change to what is painted must reach the cache as damage: model changes through sync() (the
 * old and new boxes of each changed element and of the lines attached to it), the hidden, faded
 * and text-hidden marks by comparing them with what was painted, pictures that finished loading
 * by the image cache's version; a zoom, resize, theme or source change repaints everything.
 */
import type { ImageCache } from "./images";
import { SceneCache } from "./scene-cache";
import { darkInk, trueInk } from "./ink";
import { drawElement, withInk } from "./shapes";
import { penSize } from "./geometry";
import { SceneIndex, type SceneSource } from "./scene";
import { THIN_PX, ThinPenBatch } from "./thin-pens";
import type { Box, Viewport } from "./viewport";

/** A full paint slower than this (ms) makes zooms scale the cached picture (scene-cache.ts):
 * at 10 % a board of 100,000 elements took 0.5-1.5 s to paint, every frame of a zoom. */
const SLOW_PAINT_MS = 50;
/** Only boards this big: a small board's slow paint is a slow machine, and its zoom is kept
 * sharp at every frame. */
const QUICK_ZOOM_FROM = 2000;
/** How long a zoom must stay still before the scaled picture is painted again. */
const ZOOM_SETTLE_MS = 150;

export type OverlayPainter = (ctx: CanvasRenderingContext2D) => void;

export interface FrameStats {
  /** Milliseconds spent painting the last scene frame. */
  lastPaintMs: number;
  /** Milliseconds the last frame took in all (index sync, scene, overlay): its cost to the
   * page, which the frame-time bench reads. */
  lastFrameMs: number;
  /** Pieces of the cached scene painted again in the last frame (-1: all of it). */
  pieces: number;
  /** Frames that painted the whole cached scene (zooms, resizes, a new source...). */
  fullRepaints: number;
  frames: number;
  drawn: number;
}

export class Renderer {
  private sceneIndex: SceneIndex;
  readonly stats: FrameStats = {
    lastPaintMs: 0,
    lastFrameMs: 0,
    pieces: 0,
    fullRepaints: 0,
    frames: 0,
    drawn: 0,
  };
  /** Elements not painted (the text being edited is shown by the editor instead). */
  readonly hidden = new Set<string>();
  /** Elements painted without their text (a note or a label being typed over it). */
  readonly textHidden = new Set<string>();
  /** Elements painted half transparent (marked by the eraser, about to go). */
  readonly faded = new Set<string>();
  private imageCache: ImageCache | null = null;
  /** The marks as last painted, to damage what changed since (see damageMarks). */
  private readonly paintedMarks = [new Set<string>(), new Set<string>(), new Set<string>()];
  /** Pictures in the cached scene by blob (their elements' boxes), painted again when the
   * image cache has a new picture for the blob. */
  private readonly paintedImages = new Map<string, Map<string, Box>>();
  private readonly cache = new SceneCache();
  private readonly scene: HTMLCanvasElement;
  private readonly overlay: HTMLCanvasElement;
  private readonly sceneCtx: CanvasRenderingContext2D;
  private readonly overlayCtx: CanvasRenderingContext2D;
  private sceneDirty = true;
  /** The last full paint of the scene took longer than a frame: zooms scale the picture. */
  private slowPaint = false;
  private settleTimer: ReturnType<typeof setTimeout> | null = null;
  private overlayDirty = true;
  private frameRequested = false;
  private pendingIds = new Set<string>();
  private pendingAll = false;
  private readonly painters: OverlayPainter[] = [];
  private dpr = 1;
  private readonly thin = new ThinPenBatch();
  private waiters: (() => void)[] = [];

  private source: SceneSource;
  /** A dark board: the grid is light and ink is turned (ink.ts); set by the theme. */
  private darkBoard = false;
  private unsubscribe: () => void = () => {};

  constructor(
    container: HTMLElement,
    source: SceneSource,
    readonly viewport: Viewport,
  ) {
    this.scene = makeCanvas("scene");
    this.overlay = makeCanvas("overlay");
    container.append(this.scene, this.overlay);
    this.sceneCtx = context(this.scene);
    this.overlayCtx = context(this.overlay);
    this.source = source;
    this.sceneIndex = new SceneIndex(source);
    this.listen();
    viewport.onChange(() => this.invalidate());
    const resize = (): void => {
      const r = container.getBoundingClientRect();
      this.dpr = window.devicePixelRatio || 1;
      for (const c of [this.scene, this.overlay]) {
        c.width = Math.round(r.width * this.dpr);
        c.height = Math.round(r.height * this.dpr);
      }
      this.cache.resize(this.scene.width, this.scene.height);
      viewport.resize(r.width, r.height);
    };
    new ResizeObserver(resize).observe(container);
    resize();
  }

  set dark(on: boolean) {
    if (on === this.darkBoard) return;
    this.darkBoard = on;
    this.cache.damageAll();
    this.invalidate();
  }

  get dark(): boolean {
    return this.darkBoard;
  }

  /** Where image elements' pictures come from (placeholders until set). */
  get images(): ImageCache | null {
    return this.imageCache;
  }

  set images(cache: ImageCache | null) {
    this.imageCache = cache;
    this.cache.damageAll();
    this.invalidate();
  }

  /** Where elements are, for culling and hit tests, of what is shown now. */
  get index(): SceneIndex {
    return this.sceneIndex;
  }

  /** What is shown now: the live board, or a moment of its history. */
  get shown(): SceneSource {
    return this.source;
  }

  /**
   * Shows another source (the history view swaps the live board for a past moment and back).
   * The index is rebuilt from it: O(elements), once per swap.
   */
  setSource(source: SceneSource): void {
    if (source === this.source) return;
    this.unsubscribe();
    this.source = source;
    this.sceneIndex = new SceneIndex(source);
    this.pendingIds.clear();
    this.pendingAll = false;
    this.cache.damageAll();
    this.listen();
    this.invalidate();
  }

  private listen(): void {
    this.unsubscribe = this.source.onChange((ids) => {
      if (ids === null) this.pendingAll = true;
      else for (const id of ids) this.pendingIds.add(id);
      this.invalidate();
    });
  }

  /** Something on the board changed: repaint everything on the next frame. */
  invalidate(): void {
    this.sceneDirty = true;
    this.overlayDirty = true;
    this.request();
  }

  /** Only the overlay changed. */
  invalidateOverlay(): void {
    this.overlayDirty = true;
    this.request();
  }

  addOverlay(painter: OverlayPainter): void {
    this.painters.push(painter);
  }

  /** Resolves after the next full repaint (tests and the frame-time bench wait on it). */
  whenPainted(): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.invalidate();
    });
  }

  /** Applies model changes to the index now (hit tests need it before the next frame). */
  sync(): void {
    if (this.pendingAll) {
      this.index.update(null);
      this.cache.damageAll();
      this.pendingAll = false;
      this.pendingIds.clear();
    } else if (this.pendingIds.size > 0) {
      const ids = this.pendingIds;
      this.pendingIds = new Set();
      this.damageIds(ids); // where they were
      this.index.update(ids);
      this.damageIds(ids); // where they are now
    }
  }

  /** The cached pixels of `ids` and of the lines attached to them must be painted again. */
  private damageIds(ids: ReadonlySet<string>): void {
    for (const id of ids) {
      this.damageId(id);
      for (const line of this.index.attachedTo(id)) this.damageId(line);
    }
  }

  private damageId(id: string): void {
    const item = this.index.get(id);
    if (item) this.cache.damageBox(item);
  }

  /** Damages the elements whose hidden, faded or text-hidden mark changed since painted. */
  private damageMarks(): void {
    const live = [this.hidden, this.faded, this.textHidden];
    live.forEach((now, i) => {
      const was = this.paintedMarks[i] as Set<string>;
      if (now.size === 0 && was.size === 0) return;
      for (const id of now) if (!was.has(id)) this.damageId(id);
      for (const id of was) if (!now.has(id)) this.damageId(id);
      was.clear();
      for (const id of now) was.add(id);
    });
  }

  /** Damages the pictures painted so far whose picture finished loading (or failed). */
  private damageImages(): void {
    if (!this.imageCache) return;
    for (const blob of this.imageCache.takeChanged()) {
      for (const box of this.paintedImages.get(blob)?.values() ?? []) this.cache.damageBox(box);
    }
  }

  private request(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => this.frame());
  }

  private frame(): void {
    this.frameRequested = false;
    const start = performance.now();
    this.sync();
    if (this.sceneDirty) {
      const t0 = performance.now();
      withInk(this.darkBoard ? darkInk : trueInk, () => this.paintScene());
      this.stats.lastPaintMs = performance.now() - t0;
      if (this.cache.lastPieces < 0) {
        this.slowPaint =
          this.index.size >= QUICK_ZOOM_FROM && this.stats.lastPaintMs > SLOW_PAINT_MS;
      }
      this.stats.frames++;
      this.sceneDirty = false;
    }
    if (this.overlayDirty) {
      this.paintOverlay();
      this.overlayDirty = false;
    }
    this.stats.lastFrameMs = performance.now() - start;
    const waiters = this.waiters;
    this.waiters = [];
    for (const fn of waiters) fn();
  }

  /** Sets a context's transform so that board units map to device pixels. */
  private toBoard(ctx: CanvasRenderingContext2D): void {
    const vp = this.viewport;
    const s = vp.zoom * this.dpr;
    ctx.setTransform(s, 0, 0, s, -vp.x * s, -vp.y * s);
  }

  private paintScene(): void {
    const ctx = this.sceneCtx;
    const vp = this.viewport;
    this.damageMarks();
    this.damageImages();
    this.stats.drawn = 0;
    const at = { originX: vp.x, originY: vp.y, scale: vp.zoom * this.dpr };
    this.cache.update(at, (c, box, piece) => this.paintElements(c, box, piece), this.slowPaint);
    this.stats.pieces = this.cache.lastPieces;
    if (this.cache.lastPieces < 0) this.stats.fullRepaints++;
    if (this.cache.stale) this.settleLater();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.scene.width, this.scene.height);
    this.paintGrid(ctx);
    ctx.drawImage(this.cache.canvas, 0, 0);
  }

  /** Once the zoom has stayed still for ZOOM_SETTLE_MS, paints the scaled picture again. */
  private settleLater(): void {
    if (this.settleTimer !== null) clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => {
      this.settleTimer = null;
      if (!this.cache.stale) return;
      this.cache.damageAll();
      this.sceneDirty = true;
      this.request();
    }, ZOOM_SETTLE_MS);
  }

  /** Paints the elements meeting `box` in stacking order (ctx maps board units already). */
  private paintElements(ctx: CanvasRenderingContext2D, box: Box, piece: boolean): void {
    const within = piece ? box : null;
    const pixel = 1 / this.viewport.zoom;
    const visible = this.index.visible(box);
    const thinBelow = (THIN_PX * pixel) / penSize(1);
    let drawn = 0;
    for (const el of visible) {
      if (this.hidden.has(el.id)) continue;
      drawn++;
      const faded = this.faded.has(el.id);
      if (el.type === "pen" && el.width < thinBelow && !faded) {
        this.thin.add(el, pixel);
        continue;
      }
      this.thin.flush(ctx);
      const item = this.index.get(el.id);
      const tiny =
        item !== undefined &&
        item.maxX - item.minX < 2 * pixel &&
        item.maxY - item.minY < 2 * pixel;
      if (faded) ctx.globalAlpha = 0.25;
      drawElement(ctx, el, pixel, tiny, this.imageCache, !this.textHidden.has(el.id), within);
      ctx.globalAlpha = 1;
      if (el.type === "image" && item) {
        let boxes = this.paintedImages.get(el.blob);
        if (!boxes) this.paintedImages.set(el.blob, (boxes = new Map()));
        boxes.set(el.id, item);
      }
    }
    this.thin.flush(ctx);
    this.stats.drawn += drawn;
  }

  /** A light grid that makes panning and zooming visible on an empty board. */
  private paintGrid(ctx: CanvasRenderingContext2D): void {
    const vp = this.viewport;
    let step = 20;
    while (step * vp.zoom < 14) step *= 5;
    const box = vp.visible();
    ctx.strokeStyle = this.darkBoard ? "rgba(255, 255, 255, 0.07)" : "rgba(0, 0, 0, 0.06)";
    ctx.lineWidth = 1;
    ctx.beginPath();
    const x0 = Math.ceil(box.minX / step) * step;
    for (let x = x0; x <= box.maxX; x += step) {
      const sx = Math.round((x - vp.x) * vp.zoom * this.dpr) + 0.5;
      ctx.moveTo(sx, 0);
      ctx.lineTo(sx, this.scene.height);
    }
    const y0 = Math.ceil(box.minY / step) * step;
    for (let y = y0; y <= box.maxY; y += step) {
      const sy = Math.round((y - vp.y) * vp.zoom * this.dpr) + 0.5;
      ctx.moveTo(0, sy);
      ctx.lineTo(this.scene.width, sy);
    }
    ctx.stroke();
  }

  private paintOverlay(): void {
    const ctx = this.overlayCtx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.overlay.width, this.overlay.height);
    for (const paint of this.painters) {
      this.toBoard(ctx);
      ctx.save();
      paint(ctx);
      ctx.restore();
    }
  }
}

function makeCanvas(name: string): HTMLCanvasElement {
  const c = document.createElement("canvas");
  c.className = `board-canvas board-${name}`;
  return c;
}

function context(c: HTMLCanvasElement): CanvasRenderingContext2D {
  const ctx = c.getContext("2d");
  if (!ctx) throw new Error("2D canvas is not available");
  return ctx;
}
