/**
 * Attached line and arrow ends (PROTOCOL.md 1.1 `from`/`to`): where they are drawn, computed
 * from the bound elements' current geometry, so that every client shows the same picture
 * whoever moved what. The server's export.svg draws them with the same function
 * (whiteboard/export/bindings.py; tests/vectors/bindings.json holds both to the same points).
 *
 * The rule: an attached end lies where the ray from its element's centre towards the other end
 * (the other element's centre when that end is attached too, else its stored point) leaves the
 * element's outline. Elements without an outline (pens, lines, texts, unknown types) and ids
 * that are not live leave the end where it is stored.
 */
import type { Element, LineElement } from "../model/types";
import type { Point } from "./viewport";

/** The types an end may attach to: those with a box or an ellipse for an outline. */
export const BINDABLE: ReadonlySet<string> = new Set(["rect", "ellipse", "note", "frame", "image"]);

export interface Boxed {
  type: string;
  x: number;
  y: number;
  w: number;
  h: number;
  angle?: number;
}

/** The element as a box to attach to, or null when ends cannot attach to it. */
export function bindable(el: Element | undefined): Boxed | null {
  return el && BINDABLE.has(el.type) ? (el as unknown as Boxed) : null;
}

export const centre = (b: Boxed): Point => ({ x: b.x + b.w / 2, y: b.y + b.h / 2 });

/**
 * Where the ray from the box's centre towards `toward` crosses its outline (a turned box is
 * turned about its centre). Null when `toward` is the centre itself: no direction.
 */
export function outlinePoint(b: Boxed, toward: Point): Point | null {
  const c = centre(b);
  const dx = toward.x - c.x;
  const dy = toward.y - c.y;
  if (dx === 0 && dy === 0) return null;
  let lx = dx;
  let ly = dy;
  const a = b.angle ?? 0;
  if (a !== 0) {
    // The same ray in the box's own axes; its length scale t is the same in both frames.
    const cos = Math.cos(a);
    const sin = Math.sin(a);
    lx = dx * cos + dy * sin;
    ly = dy * cos - dx * sin;
  }
  const rx = Math.abs(b.w) / 2;
  const ry = Math.abs(b.h) / 2;
  let t: number;
  if (b.type === "ellipse") {
    t = rx === 0 || ry === 0 ? 0 : 1 / Math.sqrt((lx * lx) / (rx * rx) + (ly * ly) / (ry * ry));
  } else {
    const tx = lx === 0 ? Infinity : rx / Math.abs(lx);
    const ty = ly === 0 ? Infinity : ry / Math.abs(ly);
    t = Math.min(tx, ty);
  }
  return { x: c.x + dx * t, y: c.y + dy * t };
}

/**
 * The line as drawn: `el` itself when no end is attached to a live element with an outline,
 * else a copy whose x, y, w, h put the attached ends on their outlines.
 */
export function resolveLine(
  el: LineElement,
  get: (id: string) => Element | undefined,
): LineElement {
  const from = el.from !== undefined && el.from !== el.id ? bindable(get(el.from)) : null;
  const to = el.to !== undefined && el.to !== el.id ? bindable(get(el.to)) : null;
  if (!from && !to) return el;
  const p0 = { x: el.x, y: el.y };
  const p1 = { x: el.x + el.w, y: el.y + el.h };
  const start = from ? (outlinePoint(from, to ? centre(to) : p1) ?? p0) : p0;
  const end = to ? (outlinePoint(to, from ? centre(from) : p0) ?? p1) : p1;
  return { ...el, x: start.x, y: start.y, w: end.x - start.x, h: end.y - start.y };
}

/** The ids a line's drawing depends on besides its own (its attached elements). */
export function bindingsOf(el: Element): string[] {
  if (el.type !== "line" && el.type !== "arrow") return [];
  const out: string[] = [];
  if (el.from !== undefined) out.push(el.from);
  if (el.to !== undefined && el.to !== el.from) out.push(el.to);
  return out;
}
