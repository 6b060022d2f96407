/**
 * Geometry of elements: bounding boxes (for the spatial index and selection) and hit tests
 * (for select and eraser). One place, so what you can click is exactly what is drawn.
 */
import { decodePoints } from "../model/points";
import type { Element, PenElement, Rotatable, TextElement } from "../model/types";
import { frameNameBox } from "./structure";
import type { Box, Point } from "./viewport";

export const FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
export const LINE_HEIGHT = 1.25;

/** Perfect-freehand's `size` (diameter) for a pen width: the ink is about `width` thick. */
export const penSize = (width: number): number => width * 2.2;

/** The arrow head's length for a stroke width. */
export const arrowHead = (width: number): number => Math.max(10, width * 4);

const pointsCache = new WeakMap<PenElement, Float64Array>();

/** Absolute points of a pen element, decoded once per element version. */
export function penPoints(el: PenElement): Float64Array {
  let pts = pointsCache.get(el);
  if (!pts) {
    pts = decodePoints(el);
    pointsCache.set(el, pts);
  }
  return pts;
}

/**
 * The box of a pen's points, from its integer deltas, widened by `pad`: no points decoded or
 * kept. Opening a board indexes every element's box, and decoding 60,000 pens' points for it
 * was a quarter of the index's build; they are decoded when a pen is first drawn or hit
 * instead. The same numbers as the decoded points' extremes: each is `x + sum / ps` for the
 * extreme sum.
 */
function penBox(el: PenElement, pad: number): Box {
  const pts = el.pts;
  let gx = 0;
  let gy = 0;
  let minGx = Infinity;
  let minGy = Infinity;
  let maxGx = -Infinity;
  let maxGy = -Infinity;
  for (let i = 0; i + 1 < pts.length; i += 2) {
    gx += pts[i] as number;
    gy += pts[i + 1] as number;
    if (gx < minGx) minGx = gx;
    if (gx > maxGx) maxGx = gx;
    if (gy < minGy) minGy = gy;
    if (gy > maxGy) maxGy = gy;
  }
  const ps = el.ps ?? 1;
  return {
    minX: el.x + minGx / ps - pad,
    minY: el.y + minGy / ps - pad,
    maxX: el.x + maxGx / ps + pad,
    maxY: el.y + maxGy / ps + pad,
  };
}

let measureCtx: CanvasRenderingContext2D | null = null;
const textCache = new WeakMap<TextElement, { w: number; h: number }>();

export const fontFor = (size: number): string => `${size}px ${FONT_FAMILY}`;

/** Width and height of a text element as the canvas draws it. */
export function textSize(el: TextElement): { w: number; h: number } {
  let m = textCache.get(el);
  if (!m) {
    measureCtx ??= document.createElement("canvas").getContext("2d");
    const lines = el.text.split("\n");
    let w = 0;
    if (measureCtx) {
      measureCtx.font = fontFor(el.size);
      for (const line of lines) w = Math.max(w, measureCtx.measureText(line).width);
    } else {
      w = Math.max(...lines.map((l) => l.length)) * el.size * 0.6;
    }
    m = { w, h: lines.length * el.size * LINE_HEIGHT };
    textCache.set(el, m);
  }
  return m;
}

/** The types that may carry `angle` (PROTOCOL.md 1.1). */
export function isRotatable(el: Element): el is Rotatable {
  return (
    el.type === "rect" ||
    el.type === "ellipse" ||
    el.type === "text" ||
    el.type === "image" ||
    el.type === "note"
  );
}

/** The angle an element is turned by, in radians (0 for types that cannot turn). */
export const angleOf = (el: Element): number => (isRotatable(el) ? (el.angle ?? 0) : 0);

/** The box of a turnable element before it is turned (no stroke padding). */
export function frameOf(el: Rotatable): Box {
  if (el.type === "text") {
    const { w, h } = textSize(el);
    return { minX: el.x, minY: el.y, maxX: el.x + w, maxY: el.y + h };
  }
  return {
    minX: Math.min(el.x, el.x + el.w),
    minY: Math.min(el.y, el.y + el.h),
    maxX: Math.max(el.x, el.x + el.w),
    maxY: Math.max(el.y, el.y + el.h),
  };
}

/** The point an element turns about: the centre of its frame. */
export function centreOf(el: Rotatable): Point {
  const f = frameOf(el);
  return { x: (f.minX + f.maxX) / 2, y: (f.minY + f.maxY) / 2 };
}

/** Turns snap to this step with Shift held (15 degrees), alone or as a group. */
export const ANGLE_STEP = Math.PI / 12;

/** `angle` brought into -π to π, the range PROTOCOL.md 1.1 allows. */
export const wrapAngle = (angle: number): number => Math.atan2(Math.sin(angle), Math.cos(angle));

/** A text size as resizing may set it: within the protocol's 4 to 400, to a tenth. */
export const clampSize = (s: number): number => Math.round(Math.min(400, Math.max(4, s)) * 10) / 10;

/** `p` turned by `angle` radians about `c` (clockwise on screen, y pointing down). */
export function rotatePoint(p: Point, c: Point, angle: number): Point {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const dx = p.x - c.x;
  const dy = p.y - c.y;
  return { x: c.x + dx * cos - dy * sin, y: c.y + dx * sin + dy * cos };
}

/** The four corners of `box` turned by `angle` about `c`, clockwise from the top left. */
export function turnedCorners(box: Box, c: Point, angle: number): Point[] {
  return [
    { x: box.minX, y: box.minY },
    { x: box.maxX, y: box.minY },
    { x: box.maxX, y: box.maxY },
    { x: box.minX, y: box.maxY },
  ].map((p) => rotatePoint(p, c, angle));
}

/** The box an element's ink covers, in board units (around the turned shape when turned). */
export function bounds(el: Element): Box {
  const box = unturnedBounds(el);
  const angle = angleOf(el);
  if (angle === 0 || !isRotatable(el)) return box;
  let out: Box | null = null;
  for (const p of turnedCorners(box, centreOf(el), angle))
    out = unionBox(out, { minX: p.x, minY: p.y, maxX: p.x, maxY: p.y });
  return out as Box;
}

function unturnedBounds(el: Element): Box {
  switch (el.type) {
    case "pen":
      return penBox(el, penSize(el.width) / 2 + 1);
    case "line":
    case "arrow": {
      const pad = el.width / 2 + (el.type === "arrow" ? arrowHead(el.width) : 0) + 1;
      return {
        minX: Math.min(el.x, el.x + el.w) - pad,
        minY: Math.min(el.y, el.y + el.h) - pad,
        maxX: Math.max(el.x, el.x + el.w) + pad,
        maxY: Math.max(el.y, el.y + el.h) + pad,
      };
    }
    case "rect":
    case "ellipse": {
      const pad = el.width / 2 + 1;
      return {
        minX: Math.min(el.x, el.x + el.w) - pad,
        minY: Math.min(el.y, el.y + el.h) - pad,
        maxX: Math.max(el.x, el.x + el.w) + pad,
        maxY: Math.max(el.y, el.y + el.h) + pad,
      };
    }
    case "text":
    case "image":
    case "note":
      return frameOf(el);
    case "frame":
      return unionBox(frameNameBox(el), {
        minX: el.x,
        minY: el.y,
        maxX: el.x + el.w,
        maxY: el.y + el.h,
      });
  }
}

export function unionBox(a: Box | null, b: Box): Box {
  if (!a) return { ...b };
  return {
    minX: Math.min(a.minX, b.minX),
    minY: Math.min(a.minY, b.minY),
    maxX: Math.max(a.maxX, b.maxX),
    maxY: Math.max(a.maxY, b.maxY),
  };
}

export function intersects(a: Box, b: Box): boolean {
  return a.minX <= b.maxX && a.maxX >= b.minX && a.minY <= b.maxY && a.maxY >= b.minY;
}

export function contains(outer: Box, inner: Box): boolean {
  return (
    inner.minX >= outer.minX &&
    inner.maxX <= outer.maxX &&
    inner.minY >= outer.minY &&
    inner.maxY <= outer.maxY
  );
}

/** Distance from p to the segment a-b. */
export function segmentDistance(
  px: number,
  py: number,
  ax: number,
  ay: number,
  bx: number,
  by: number,
): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  let t = len2 === 0 ? 0 : ((px - ax) * dx + (py - ay) * dy) / len2;
  t = Math.max(0, Math.min(1, t));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/**
 * Whether the point touches the element's ink, with `tol` board units of slack (a few screen
 * pixels, converted by the caller). Filled shapes are hit anywhere inside; outlines only near
 * the line, so you can select what lies inside an empty frame.
 */
export function hitTest(el: Element, p: Point, tol: number): boolean {
  // A turned element is hit where the point, turned back, hits it unturned.
  const angle = angleOf(el);
  if (angle !== 0 && isRotatable(el)) p = rotatePoint(p, centreOf(el), -angle);
  switch (el.type) {
    case "pen": {
      const pts = penPoints(el);
      const r = penSize(el.width) / 2 + tol;
      if (pts.length === 2)
        return Math.hypot(p.x - (pts[0] as number), p.y - (pts[1] as number)) <= r;
      for (let i = 0; i + 3 < pts.length; i += 2) {
        const d = segmentDistance(
          p.x,
          p.y,
          pts[i] as number,
          pts[i + 1] as number,
          pts[i + 2] as number,
          pts[i + 3] as number,
        );
        if (d <= r) return true;
      }
      return false;
    }
    case "line":
    case "arrow":
      return segmentDistance(p.x, p.y, el.x, el.y, el.x + el.w, el.y + el.h) <= el.width / 2 + tol;
    case "rect": {
      const x0 = Math.min(el.x, el.x + el.w);
      const y0 = Math.min(el.y, el.y + el.h);
      const x1 = Math.max(el.x, el.x + el.w);
      const y1 = Math.max(el.y, el.y + el.h);
      const r = el.width / 2 + tol;
      const inside = p.x >= x0 - r && p.x <= x1 + r && p.y >= y0 - r && p.y <= y1 + r;
      if (!inside) return false;
      if (el.fill || el.text) return true;
      return p.x <= x0 + r || p.x >= x1 - r || p.y <= y0 + r || p.y >= y1 - r;
    }
    case "ellipse": {
      const rx = Math.abs(el.w) / 2;
      const ry = Math.abs(el.h) / 2;
      const cx = el.x + el.w / 2;
      const cy = el.y + el.h / 2;
      const r = el.width / 2 + tol;
      // Normalised radial distance; scaled back to board units by the smaller radius for slack.
      const nx = (p.x - cx) / Math.max(rx, 1e-9);
      const ny = (p.y - cy) / Math.max(ry, 1e-9);
      const d = Math.hypot(nx, ny);
      const slack = r / Math.max(Math.min(rx, ry), 1e-9);
      if (el.fill || el.text) return d <= 1 + slack;
      return Math.abs(d - 1) <= slack;
    }
    case "frame": {
      // Its name or its edge: inside, a click goes to what lies on it, or starts a marquee.
      const n = frameNameBox(el);
      if (p.x >= n.minX && p.x <= n.maxX && p.y >= n.minY - tol && p.y <= n.maxY) return true;
      const outside =
        p.x < el.x - tol || p.x > el.x + el.w + tol || p.y < el.y - tol || p.y > el.y + el.h + tol;
      const within =
        p.x > el.x + tol && p.x < el.x + el.w - tol && p.y > el.y + tol && p.y < el.y + el.h - tol;
      return !outside && !within;
    }
    case "text":
    case "image":
    case "note": {
      const b = frameOf(el);
      return (
        p.x >= b.minX - tol && p.x <= b.maxX + tol && p.y >= b.minY - tol && p.y <= b.maxY + tol
      );
    }
  }
}
