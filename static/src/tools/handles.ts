/**
 * The handles of one selected element and what dragging each does: corners resize (along its
 * own sides when it is turned; a picture keeps its proportions unless Shift), the round handle
 * above turns it (Shift: 15° steps), a text's corner scales its font, a line's ends move and
 * attach to the shape they are dropped on (or let go of it).
 */
import type { Element, UpdateSet } from "../model/types";
import {
  ANGLE_STEP,
  angleOf,
  centreOf,
  clampSize,
  frameOf,
  isRotatable,
  rotatePoint,
  turnedCorners,
  wrapAngle,
} from "../render/geometry";
import type { Point } from "../render/viewport";
import { shapeBox } from "./arrange";
import { attachTarget } from "./attach";
import type { ToolContext, ToolPointer } from "./tool";

export type Handle =
  | { kind: "corner"; fixed: Point }
  | { kind: "end"; which: 0 | 1 }
  | { kind: "text" }
  | { kind: "rotate" };

export interface HandleAt {
  at: Point;
  handle: Handle;
  id: string;
  /** The element when the drag began, as drawn. */
  original: Element;
}

/** How far above its top edge the rotation handle of an element sits, in screen pixels. */
const ROTATE_PX = 24;
/** Shift while turning snaps to steps of this many radians (15°). */

/** The handles of `el` (as drawn), at the zoom `zoom`. */
export function handlesOf(el: Element, id: string, zoom: number): HandleAt[] {
  switch (el.type) {
    case "rect":
    case "ellipse":
    case "image":
    case "note": {
      const corners = turnedCorners(frameOf(el), centreOf(el), angleOf(el));
      return [
        ...corners.map((at, i) => ({
          at,
          handle: { kind: "corner" as const, fixed: corners[(i + 2) % 4] as Point },
          id,
          original: el,
        })),
        rotateHandle(el, id, zoom),
      ];
    }
    case "frame": {
      const corners = turnedCorners(shapeBox(el), { x: 0, y: 0 }, 0);
      return corners.map((at, i) => ({
        at,
        handle: { kind: "corner" as const, fixed: corners[(i + 2) % 4] as Point },
        id,
        original: el,
      }));
    }
    case "line":
    case "arrow":
      return [
        { at: { x: el.x, y: el.y }, handle: { kind: "end", which: 0 }, id, original: el },
        {
          at: { x: el.x + el.w, y: el.y + el.h },
          handle: { kind: "end", which: 1 },
          id,
          original: el,
        },
      ];
    case "text": {
      const f = frameOf(el);
      const at = rotatePoint({ x: f.maxX, y: f.maxY }, centreOf(el), angleOf(el));
      return [{ at, handle: { kind: "text" }, id, original: el }, rotateHandle(el, id, zoom)];
    }
    case "pen":
      return [];
  }
}

/** The handle that turns `el`: above the middle of its top edge, turning with it. */
function rotateHandle(
  el: Element & { type: "rect" | "ellipse" | "text" | "image" | "note" },
  id: string,
  zoom: number,
): HandleAt {
  const f = frameOf(el);
  const above = { x: (f.minX + f.maxX) / 2, y: f.minY - ROTATE_PX / zoom };
  return {
    at: rotatePoint(above, centreOf(el), angleOf(el)),
    handle: { kind: "rotate" },
    id,
    original: el,
  };
}

/**
 * Applies a drag of handle `h` to the pointer `p`. Answers the shape a dragged line end is
 * over (it attaches there), for the overlay to outline.
 */
export function dragHandle(
  ctx: ToolContext,
  h: Pick<HandleAt, "id" | "handle" | "original">,
  p: ToolPointer,
): Element | undefined {
  const el = h.original;
  const { editor, model } = ctx;
  const id = h.id;
  if (!model.has(id)) return undefined;
  const handle = h.handle;
  if (handle.kind === "rotate" && isRotatable(el)) {
    const c = centreOf(el);
    // The handle sits straight above the centre at angle 0.
    let angle = Math.atan2(p.board.y - c.y, p.board.x - c.x) + Math.PI / 2;
    if (p.shift) angle = Math.round(angle / ANGLE_STEP) * ANGLE_STEP;
    angle = wrapAngle(angle);
    editor.do({ k: "update", id, set: { angle } });
  } else if (handle.kind === "corner" && isRotatable(el)) {
    // Worked out in the element's own axes, so a turned shape resizes along its sides and
    // the opposite corner stays where it is on screen.
    const angle = angleOf(el);
    const local = rotatePoint(p.board, handle.fixed, -angle);
    let w = local.x - handle.fixed.x;
    let hh = local.y - handle.fixed.y;
    const f = frameOf(el);
    if (el.type === "image" && !p.shift) {
      // A picture keeps its proportions unless Shift is held.
      const w0 = f.maxX - f.minX;
      const h0 = f.maxY - f.minY;
      const k = Math.max(Math.abs(w) / w0, Math.abs(hh) / h0);
      w = Math.sign(w || 1) * k * w0;
      hh = Math.sign(hh || 1) * k * h0;
    } else if (el.type !== "image" && p.shift) {
      const m = Math.max(Math.abs(w), Math.abs(hh));
      w = Math.sign(w || 1) * m;
      hh = Math.sign(hh || 1) * m;
    }
    if (el.type === "image" || el.type === "note") {
      // An image's or a note's size must stay above 0 (PROTOCOL.md 1.1).
      const min = 1 / ctx.viewport.zoom;
      w = Math.sign(w || 1) * Math.max(Math.abs(w), min);
      hh = Math.sign(hh || 1) * Math.max(Math.abs(hh), min);
    }
    const c = rotatePoint(
      { x: handle.fixed.x + w / 2, y: handle.fixed.y + hh / 2 },
      handle.fixed,
      angle,
    );
    const aw = Math.abs(w);
    const ah = Math.abs(hh);
    editor.do({ k: "update", id, set: { x: c.x - aw / 2, y: c.y - ah / 2, w: aw, h: ah } });
  } else if (handle.kind === "corner") {
    // A frame: not turnable, its size above 0.
    let w = p.board.x - handle.fixed.x;
    let hh = p.board.y - handle.fixed.y;
    if (p.shift) {
      const m = Math.max(Math.abs(w), Math.abs(hh));
      w = Math.sign(w || 1) * m;
      hh = Math.sign(hh || 1) * m;
    }
    const x = Math.min(handle.fixed.x, handle.fixed.x + w);
    const y = Math.min(handle.fixed.y, handle.fixed.y + hh);
    const size = { w: Math.max(1, Math.abs(w)), h: Math.max(1, Math.abs(hh)) };
    editor.do({ k: "update", id, set: { x, y, ...size } });
  } else if (handle.kind === "end" && (el.type === "line" || el.type === "arrow")) {
    // The end goes where it is dropped, attached to the shape there (or to none).
    const other = handle.which === 0 ? el.to : el.from;
    const skip = new Set([id, ...(other === undefined ? [] : [other])]);
    const target = attachTarget(ctx, p.board, skip);
    const endX = el.x + el.w;
    const endY = el.y + el.h;
    const set: UpdateSet =
      handle.which === 0
        ? { x: p.board.x, y: p.board.y, w: endX - p.board.x, h: endY - p.board.y }
        : { x: el.x, y: el.y, w: p.board.x - el.x, h: p.board.y - el.y };
    set[handle.which === 0 ? "from" : "to"] = target?.id ?? null;
    editor.do({ k: "update", id, set });
    ctx.renderer.invalidateOverlay();
    return target;
  } else if (handle.kind === "text" && el.type === "text") {
    const angle = angleOf(el);
    const f = frameOf(el);
    const c = centreOf(el);
    const q = rotatePoint(p.board, c, -angle);
    const factor = Math.max(
      (q.y - el.y) / Math.max(1, f.maxY - f.minY),
      (q.x - el.x) / Math.max(1, f.maxX - f.minX),
    );
    const size = clampSize(el.size * factor);
    if (angle === 0) {
      editor.do({ k: "update", id, set: { size } });
      return;
    }
    // The turned top-left corner stays put while the text grows about its new centre.
    const k = size / el.size;
    const half = { x: ((f.maxX - f.minX) * k) / 2, y: ((f.maxY - f.minY) * k) / 2 };
    const corner = rotatePoint({ x: el.x, y: el.y }, c, angle);
    const nc = rotatePoint({ x: corner.x + half.x, y: corner.y + half.y }, corner, angle);
    editor.do({ k: "update", id, set: { size, x: nc.x - half.x, y: nc.y - half.y } });
  }
  return undefined;
}
