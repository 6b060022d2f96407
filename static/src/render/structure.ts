/**
 * Drawing the structure elements of PROTOCOL.md 1.1: sticky notes, frames and the labels of
 * rectangles and ellipses. Line breaks and fitted sizes come from layout.ts, so the server's
 * export.svg (whiteboard/export/svg.py) draws the same lines in the same places.
 */
import type { FrameElement, NoteElement } from "../model/types";
import type { Box } from "./viewport";
import { FONT_FAMILY } from "./geometry";
import { LINE_HEIGHT, lineY, type TextBlock, textWidth } from "./layout";
import { inked } from "./shapes";

/** The six note colours, in the order the style panel offers them. */
export const NOTE_COLORS = ["#ffec99", "#fcc2d7", "#b2f2bb", "#a5d8ff", "#d0bfff", "#ffd8a8"];
/** A frame: white inside, a light grey edge, its name above its top left corner. */
export const FRAME_FILL = "#ffffff";
export const FRAME_EDGE = "#adb5bd";
export const FRAME_NAME_COLOR = "#495057";
export const FRAME_NAME_SIZE = 14;
/** Board units between a frame's top edge and its name's baseline. */
export const FRAME_NAME_GAP = 6;

/**
 * Text under this many screen pixels high is drawn as a bar per line in its colour: it cannot
 * be read at that size anyway, and shaping thousands of strings is most of the time a
 * zoomed-out board of notes and labels takes to paint.
 */
export const TEXT_BARS_BELOW_PX = 4;

const widthsOf = new WeakMap<TextBlock, number[]>();

/** The widths of a block's lines, measured once per block (a block is made once per element
 * version, layout.ts): measuring every line of every note each frame cost more than the bars. */
function lineWidths(b: TextBlock): number[] {
  let w = widthsOf.get(b);
  if (!w) widthsOf.set(b, (w = b.lines.map((line) => textWidth(line, b.size))));
  return w;
}

/** A line of text as a bar: as wide as the line, half as high as its letters, half opaque. */
export function textBar(
  ctx: CanvasRenderingContext2D,
  x: number,
  top: number,
  w: number,
  size: number,
): void {
  ctx.globalAlpha *= 0.5;
  ctx.fillRect(x, top + size * 0.3, w, size * 0.5);
  ctx.globalAlpha *= 2;
}

/**
 * Draws a block of centred lines in `color` (inked for the dark board, like all colours);
 * as bars when they are under TEXT_BARS_BELOW_PX on screen (`pixel`: a screen pixel in board
 * units; 0, the default, always draws the letters).
 */
export function drawTextBlock(
  ctx: CanvasRenderingContext2D,
  b: TextBlock,
  color: string,
  pixel = 0,
): void {
  if (b.size < TEXT_BARS_BELOW_PX * pixel) {
    ctx.fillStyle = inked(color);
    const widths = lineWidths(b);
    b.lines.forEach((_, i) => {
      const w = widths[i] as number;
      const top = lineY(b, i) - b.size * (1 - LINE_HEIGHT / 4);
      textBar(ctx, b.cx - w / 2, top, w, b.size);
    });
    return;
  }
  ctx.font = `${b.size}px ${FONT_FAMILY}`;
  ctx.fillStyle = inked(color);
  ctx.textAlign = "center";
  ctx.textBaseline = "alphabetic";
  b.lines.forEach((line, i) => ctx.fillText(line, b.cx, lineY(b, i)));
  ctx.textAlign = "start";
}

export function drawNote(
  ctx: CanvasRenderingContext2D,
  el: NoteElement,
  block: TextBlock | null,
  pixel = 0,
): void {
  ctx.fillStyle = inked(el.fill);
  ctx.fillRect(el.x, el.y, el.w, el.h);
  if (block) drawTextBlock(ctx, block, el.stroke, pixel);
}

export function drawFrame(ctx: CanvasRenderingContext2D, el: FrameElement, pixel: number): void {
  ctx.fillStyle = inked(FRAME_FILL);
  ctx.fillRect(el.x, el.y, el.w, el.h);
  ctx.strokeStyle = inked(FRAME_EDGE);
  ctx.lineWidth = Math.max(1, pixel);
  ctx.strokeRect(el.x, el.y, el.w, el.h);
  ctx.font = `${FRAME_NAME_SIZE}px ${FONT_FAMILY}`;
  ctx.fillStyle = inked(FRAME_NAME_COLOR);
  ctx.textBaseline = "alphabetic";
  ctx.fillText(el.name, el.x, el.y - FRAME_NAME_GAP);
}

/** Where a frame's name is: above its top left corner (clicking it selects the frame). */
export function frameNameBox(el: FrameElement): Box {
  return {
    minX: el.x,
    minY: el.y - FRAME_NAME_GAP - FRAME_NAME_SIZE,
    maxX: el.x + Math.max(textWidth(el.name, FRAME_NAME_SIZE), 24),
    maxY: el.y,
  };
}
