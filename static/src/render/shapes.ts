/**
 * Drawing one element on a 2D context whose transform already maps board units to pixels.
 *
 * Pen strokes are outlined by perfect-freehand (pressure from the stylus when the stroke has
 * `pr`, simulated from speed otherwise) and the outline is cached per element version as a
 * Path2D: panning and zooming then only refill cached paths.
 */
import { getStroke } from "perfect-freehand";
import type { Element, PenElement } from "../model/types";
import {
  angleOf,
  arrowHead,
  centreOf,
  fontFor,
  isRotatable,
  LINE_HEIGHT,
  penPoints,
  penSize,
  textSize,
} from "./geometry";
import { drawImageElement, type ImageCache } from "./images";
import { type InkMap, trueInk } from "./ink";
import type { Box } from "./viewport";
import { textBlock } from "./layout";
import { drawFrame, drawNote, drawTextBlock, TEXT_BARS_BELOW_PX, textBar } from "./structure";

const outlineCache = new WeakMap<PenElement, Path2D>();

/** How colours are inked: true colours, except while the dark board paints (withInk). */
let ink: InkMap = trueInk;

/** Paints with `map` applied to every colour (the renderer's dark mode; exports never). */
export function withInk<T>(map: InkMap, paint: () => T): T {
  const before = ink;
  ink = map;
  try {
    return paint();
  } finally {
    ink = before;
  }
}

/** The colour `c` as the current painting shows it. */
export const inked = (c: string): string => ink(c);

/** Builds a smooth closed path through an outline, with quadratic curves between midpoints. */
function outlinePath(outline: number[][]): Path2D {
  const path = new Path2D();
  const n = outline.length;
  if (n === 0) return path;
  const p0 = outline[0] as number[];
  path.moveTo(p0[0] as number, p0[1] as number);
  for (let i = 0; i < n; i++) {
    const a = outline[i] as number[];
    const b = outline[(i + 1) % n] as number[];
    const ax = a[0] as number;
    const ay = a[1] as number;
    path.quadraticCurveTo(ax, ay, (ax + (b[0] as number)) / 2, (ay + (b[1] as number)) / 2);
  }
  path.closePath();
  return path;
}

export function penPath(el: PenElement): Path2D {
  let path = outlineCache.get(el);
  if (!path) {
    const pts = penPoints(el);
    const input: number[][] = [];
    for (let i = 0, j = 0; i < pts.length; i += 2, j++) {
      const p = el.pr ? (el.pr[j] ?? 128) / 255 : 0.5;
      input.push([pts[i] as number, pts[i + 1] as number, p]);
    }
    const outline = getStroke(input, {
      size: penSize(el.width),
      thinning: 0.5,
      smoothing: 0.5,
      streamline: 0.4,
      simulatePressure: !el.pr,
      last: true,
    });
    path = outlinePath(outline);
    outlineCache.set(el, path);
  }
  return path;
}

/**
 * Draws `el`. `pixel` is the size of one screen pixel in board units: strokes that would be a
 * pixel or less on screen are drawn as a dot, which looks the same and costs nothing. Images
 * come from `images` (a placeholder without it). A turned element is drawn unturned in a
 * context turned about its centre.
 */
export function drawElement(
  ctx: CanvasRenderingContext2D,
  el: Element,
  pixel: number,
  tiny = false,
  images: ImageCache | null = null,
  /** False while the text is being edited in place (the editor shows it instead). */
  withText = true,
  /** The piece of the board being painted, when only a piece is (images.ts uses it). */
  within: Box | null = null,
): void {
  const angle = angleOf(el);
  if (angle === 0 || !isRotatable(el)) {
    drawUnturned(ctx, el, pixel, tiny, images, withText, within);
    return;
  }
  const c = centreOf(el);
  ctx.save();
  ctx.translate(c.x, c.y);
  ctx.rotate(angle);
  ctx.translate(-c.x, -c.y);
  drawUnturned(ctx, el, pixel, tiny, images, withText);
  ctx.restore();
}

function drawUnturned(
  ctx: CanvasRenderingContext2D,
  el: Element,
  pixel: number,
  tiny: boolean,
  images: ImageCache | null,
  withText: boolean,
  within: Box | null = null,
): void {
  if (el.type === "image") {
    drawImageElement(ctx, el, images, pixel, ink, within);
    return;
  }
  if (el.type === "frame") {
    drawFrame(ctx, el, pixel);
    return;
  }
  if (el.type === "note") {
    drawNote(ctx, el, withText ? textBlock(el) : null, pixel);
    return;
  }
  ctx.strokeStyle = ink(el.stroke);
  ctx.fillStyle = ink(el.stroke);
  switch (el.type) {
    case "pen": {
      if (tiny) {
        const pts = penPoints(el);
        const s = Math.max(pixel, penSize(el.width));
        ctx.fillRect((pts[0] as number) - s / 2, (pts[1] as number) - s / 2, s, s);
        return;
      }
      ctx.fill(penPath(el));
      return;
    }
    case "line":
    case "arrow": {
      ctx.lineWidth = el.width;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.beginPath();
      ctx.moveTo(el.x, el.y);
      ctx.lineTo(el.x + el.w, el.y + el.h);
      if (el.type === "arrow" && (el.w !== 0 || el.h !== 0)) {
        const angle = Math.atan2(el.h, el.w);
        const len = Math.min(arrowHead(el.width), Math.hypot(el.w, el.h) * 0.5 + el.width);
        const ex = el.x + el.w;
        const ey = el.y + el.h;
        for (const side of [-1, 1]) {
          ctx.moveTo(ex, ey);
          const a = angle + Math.PI + (side * Math.PI) / 7;
          ctx.lineTo(ex + len * Math.cos(a), ey + len * Math.sin(a));
        }
      }
      ctx.stroke();
      return;
    }
    case "rect":
    case "ellipse": {
      ctx.lineWidth = el.width;
      ctx.lineJoin = "round";
      ctx.beginPath();
      if (el.type === "rect") {
        ctx.rect(
          Math.min(el.x, el.x + el.w),
          Math.min(el.y, el.y + el.h),
          Math.abs(el.w),
          Math.abs(el.h),
        );
      } else {
        ctx.ellipse(
          el.x + el.w / 2,
          el.y + el.h / 2,
          Math.abs(el.w) / 2,
          Math.abs(el.h) / 2,
          0,
          0,
          2 * Math.PI,
        );
      }
      if (el.fill) {
        ctx.fillStyle = ink(el.fill);
        ctx.fill();
      }
      ctx.stroke();
      const label = withText ? textBlock(el) : null;
      if (label) drawTextBlock(ctx, label, el.stroke, pixel);
      return;
    }
    case "text": {
      if (el.size < TEXT_BARS_BELOW_PX * pixel) {
        // Each line's share of the measured (cached) width: no measuring per frame.
        const lines = el.text.split("\n");
        const longest = Math.max(1, ...lines.map((l) => l.length));
        const w = textSize(el).w;
        lines.forEach((line, i) => {
          const top = el.y + i * el.size * LINE_HEIGHT;
          textBar(ctx, el.x, top, (w * line.length) / longest, el.size);
        });
        return;
      }
      ctx.font = fontFor(el.size);
      ctx.textBaseline = "top";
      const lines = el.text.split("\n");
      lines.forEach((line, i) => ctx.fillText(line, el.x, el.y + i * el.size * LINE_HEIGHT));
      return;
    }
  }
}
