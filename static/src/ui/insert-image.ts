/**
 * Putting pictures on the board: paste (Ctrl+V), drop a file on the canvas, or the toolbar's
 * "Insert image" button with a file picker.
 *
 * The picture is decoded here first: that checks it can be shown, gives its size for placing
 * it, and is kept in the image cache, so whoever added a picture never downloads it again.
 * While it uploads, a dimmed preview with a progress bar holds its place on the overlay
 * canvas; the element is added only once the server has stored the blob (an `add` naming a
 * blob the board does not hold is refused). A file refused here or by the server is said in
 * words.
 */
import { t } from "../i18n/i18n";
import { fmtBytes, IMAGE_TYPES, sniffImageType, uploadBlob, type StoredBlob } from "../net/blobs";
import type { ImageCache, ImageLike } from "../render/images";
import type { Renderer } from "../render/renderer";
import type { Box, Point, Viewport } from "../render/viewport";
import { typing } from "../util/focus";
import { h } from "./dom";

/** Largest share of the view a new picture takes on each side. */
const FIT = 0.5;
/** Board-unit offset between pictures dropped together, in screen pixels. */
const CASCADE_PX = 24;
const ACCENT = "#4263eb";

export interface InsertImageContext {
  board: string;
  key: string | null;
  viewport: Viewport;
  renderer: Renderer;
  images: ImageCache;
  /** `limits.blob_bytes`, as the server announced it. */
  blobBytes(): number;
  /** Why no picture can be added now ("" to ignore the attempt silently), or null. */
  blocked(): string | null;
  /** Adds the element; false when the board refused it (the editor has said why). */
  place(image: ImageLike): boolean;
  toast(text: string): void;
}

interface Pending {
  box: Box;
  progress: number;
  preview: ImageBitmap;
}

/** How a sentence names the file: its name in quotes, or "That file" when it has none. */
const nameOf = (f: Blob): string =>
  f instanceof File && f.name ? t("image.file", { name: f.name }) : t("image.thatFile");

/** Files that may be images among a clipboard's or a drop's items. */
function filesOf(data: DataTransfer | null): File[] {
  if (!data) return [];
  const files = [...data.files];
  if (files.length > 0) return files;
  const out: File[] = [];
  for (const item of data.items) {
    const f = item.kind === "file" ? item.getAsFile() : null;
    if (f) out.push(f);
  }
  return out;
}

/**
 * Where a picture of `w` x `h` pixels goes: centred on `at`, at its own size in board units
 * unless that is more than FIT of the view on either side.
 */
export function placement(w: number, h: number, at: Point, view: Box): Box {
  const s = Math.min(
    1,
    (FIT * (view.maxX - view.minX)) / Math.max(w, 1),
    (FIT * (view.maxY - view.minY)) / Math.max(h, 1),
  );
  const bw = w * s;
  const bh = h * s;
  return { minX: at.x - bw / 2, minY: at.y - bh / 2, maxX: at.x + bw / 2, maxY: at.y + bh / 2 };
}

export class ImageInserter {
  private readonly pending = new Set<Pending>();
  private readonly picker: HTMLInputElement;

  constructor(
    private readonly stage: HTMLElement,
    private readonly ctx: InsertImageContext,
  ) {
    this.picker = h("input", {
      type: "file",
      accept: IMAGE_TYPES.join(","),
      multiple: true,
      hidden: true,
      "data-testid": "image-picker",
    });
    this.picker.addEventListener("change", () => {
      const files = [...(this.picker.files ?? [])];
      this.picker.value = "";
      void this.insert(files, null);
    });
    stage.append(this.picker);
    document.addEventListener("paste", (e) => {
      if (typing(e.target)) return;
      const files = filesOf(e.clipboardData);
      if (files.length === 0) return;
      e.preventDefault();
      void this.insert(files, null);
    });
    stage.addEventListener("dragover", (e) => {
      if (!e.dataTransfer?.types.includes("Files")) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = this.ctx.blocked() === null ? "copy" : "none";
    });
    stage.addEventListener("drop", (e) => {
      const files = filesOf(e.dataTransfer);
      if (files.length === 0) return;
      e.preventDefault();
      const r = this.stage.getBoundingClientRect();
      void this.insert(files, ctx.viewport.toBoard(e.clientX - r.left, e.clientY - r.top));
    });
    ctx.renderer.addOverlay((c) => this.paintOverlay(c));
  }

  /** The toolbar button: pick files from the device. */
  pick(): void {
    const why = this.ctx.blocked();
    if (why !== null) {
      if (why) this.ctx.toast(why);
      return;
    }
    this.picker.click();
  }

  /** Adds each of `files` at `at` (null: the centre of the view), a little apart. */
  async insert(files: Blob[], at: Point | null): Promise<void> {
    const why = this.ctx.blocked();
    if (why !== null) {
      if (why) this.ctx.toast(why);
      return;
    }
    const vp = this.ctx.viewport;
    const view = vp.visible();
    const centre = at ?? { x: (view.minX + view.maxX) / 2, y: (view.minY + view.maxY) / 2 };
    const step = CASCADE_PX / vp.zoom;
    await Promise.all(
      files.map((f, i) => this.insertOne(f, { x: centre.x + i * step, y: centre.y + i * step })),
    );
  }

  private async insertOne(file: Blob, at: Point): Promise<void> {
    const { toast } = this.ctx;
    const type = sniffImageType(new Uint8Array(await file.slice(0, 16).arrayBuffer()));
    if (!type) {
      toast(t("image.notPicture", { file: nameOf(file) }));
      return;
    }
    const limit = this.ctx.blobBytes();
    if (file.size > limit) {
      toast(
        t("image.tooLarge", {
          file: nameOf(file),
          size: fmtBytes(file.size),
          limit: fmtBytes(limit),
        }),
      );
      return;
    }
    let preview: ImageBitmap;
    try {
      preview = await createImageBitmap(file);
    } catch {
      toast(t("image.unreadable", { file: nameOf(file) }));
      return;
    }
    const p: Pending = {
      box: placement(preview.width, preview.height, at, this.ctx.viewport.visible()),
      progress: 0,
      preview,
    };
    this.pending.add(p);
    this.ctx.renderer.invalidateOverlay();
    let stored: StoredBlob;
    try {
      stored = await uploadBlob(this.ctx.board, file, type, this.ctx.key, (f) => {
        p.progress = f;
        this.ctx.renderer.invalidateOverlay();
      }).done;
    } catch (e) {
      preview.close();
      toast(e instanceof Error ? e.message : String(e));
      return;
    } finally {
      this.pending.delete(p);
      this.ctx.renderer.invalidateOverlay();
    }
    // The server's size is the stored picture's (turned upright); keep the width placed.
    const w = p.box.maxX - p.box.minX;
    const hgt = (w * stored.h) / stored.w;
    const cy = (p.box.minY + p.box.maxY) / 2;
    void this.ctx.images.put(stored.blob, preview);
    this.ctx.place({ x: p.box.minX, y: cy - hgt / 2, w, h: hgt, blob: stored.blob });
  }

  /** Uploads in progress: the picture dimmed, with a bar for how much has been sent. */
  private paintOverlay(c: CanvasRenderingContext2D): void {
    if (this.pending.size === 0) return;
    const px = 1 / this.ctx.viewport.zoom;
    for (const p of this.pending) {
      const { minX, minY } = p.box;
      const w = p.box.maxX - minX;
      const hh = p.box.maxY - minY;
      c.globalAlpha = 0.45;
      c.drawImage(p.preview, minX, minY, w, hh);
      c.globalAlpha = 1;
      c.lineWidth = px;
      c.strokeStyle = ACCENT;
      c.setLineDash([4 * px, 3 * px]);
      c.strokeRect(minX, minY, w, hh);
      c.setLineDash([]);
      const barH = Math.min(6 * px, hh / 4);
      const barW = Math.min(w * 0.8, 240 * px);
      const bx = minX + (w - barW) / 2;
      const by = minY + hh / 2 - barH / 2;
      c.fillStyle = "rgba(255, 255, 255, 0.9)";
      c.fillRect(bx, by, barW, barH);
      c.fillStyle = ACCENT;
      c.fillRect(bx, by, barW * p.progress, barH);
      c.strokeRect(bx, by, barW, barH);
    }
  }
}
