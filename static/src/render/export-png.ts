/**
 * PNG export, drawn in the browser: what is in view, or the whole board, of whatever the
 * canvas shows (the live board or a moment of its history).
 *
 * It paints on a fresh canvas with a white background and no grid, through the same
 * drawElement as the screen, so the picture is what people saw. Its size is capped: a
 * browser refuses canvases much beyond 16 million pixels, and a huge board scales down.
 */
import type { ImageCache } from "./images";
import { drawElement } from "./shapes";
import type { SceneIndex } from "./scene";
import type { Box } from "./viewport";

const MAX_SIDE = 8192;
const MAX_PIXELS = 16_000_000;
/** Board units of white around the whole board. */
export const MARGIN = 24;

/**
 * Renders the elements of `index` inside `box` at `scale` pixels per board unit. Pictures are
 * drawn at full size from `images`, once each of them has been loaded.
 */
export async function renderPng(
  index: SceneIndex,
  box: Box,
  scale: number,
  images: ImageCache | null = null,
): Promise<Blob> {
  const elements = index.visible(box);
  const blobs: string[] = [];
  for (const el of elements) if (el.type === "image") blobs.push(el.blob);
  if (images && blobs.length > 0) await images.ready(blobs);
  const bw = Math.max(1, box.maxX - box.minX);
  const bh = Math.max(1, box.maxY - box.minY);
  let s = Math.min(scale, MAX_SIDE / bw, MAX_SIDE / bh);
  s = Math.min(s, Math.sqrt(MAX_PIXELS / (bw * bh)));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(bw * s));
  canvas.height = Math.max(1, Math.round(bh * s));
  const ctx = canvas.getContext("2d");
  if (!ctx) throw new Error("2D canvas is not available");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.setTransform(s, 0, 0, s, -box.minX * s, -box.minY * s);
  for (const el of elements) drawElement(ctx, el, 1 / s, false, images);
  return new Promise((resolve, reject) =>
    canvas.toBlob(
      (b) => (b ? resolve(b) : reject(new Error("the PNG could not be made"))),
      "image/png",
    ),
  );
}

/** The box around everything, with a margin (null: nothing to draw). */
export function wholeBoard(index: SceneIndex): Box | null {
  const box = index.extent();
  if (!box) return null;
  return {
    minX: box.minX - MARGIN,
    minY: box.minY - MARGIN,
    maxX: box.maxX + MARGIN,
    maxY: box.maxY + MARGIN,
  };
}
