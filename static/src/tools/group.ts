/**
 * Resizing and turning a multi-selection as a group: handles on the corners of the box around
 * it and one above it. Every element keeps its place in the group: boxes and lines scale,
 * texts scale their font, pens (whose points an update cannot change) move with their middle;
 * turning turns lines' ends about the group's centre and turns elements that carry `angle`.
 */
import type { Element, UpdateSet } from "../model/types";
import { updatable } from "../model/validate";
import {
  ANGLE_STEP,
  bounds,
  clampSize,
  rotatePoint,
  unionBox,
  wrapAngle,
} from "../render/geometry";
import type { Box, Point } from "../render/viewport";
import { shapeBox } from "./arrange";
import type { ToolContext, ToolPointer } from "./tool";

export type GroupHandle = { kind: "scale"; fixed: Point; corner: Point } | { kind: "turn" };

/** How far above the group's box its turn handle sits, in screen pixels. */
export const TURN_PX = 24;
const MIN_SCALE = 0.02;

/** The box around the (unlocked) elements of `ids`, or null when there are fewer than two. */
export function groupBox(ctx: ToolContext, ids: readonly string[]): Box | null {
  let box: Box | null = null;
  let n = 0;
  for (const id of ids) {
    const el = ctx.model.get(id);
    if (!el || el.locked) continue;
    box = unionBox(box, shapeBox(el));
    n++;
  }
  return n >= 2 ? box : null;
}

/** The group's handles: four corners (the opposite one stays put) and the turn handle. */
export function groupHandles(ctx: ToolContext, box: Box): { at: Point; handle: GroupHandle }[] {
  const corners: Point[] = [
    { x: box.minX, y: box.minY },
    { x: box.maxX, y: box.minY },
    { x: box.maxX, y: box.maxY },
    { x: box.minX, y: box.maxY },
  ];
  const out: { at: Point; handle: GroupHandle }[] = corners.map((c, i) => ({
    at: c,
    handle: { kind: "scale", fixed: corners[(i + 2) % 4] as Point, corner: c },
  }));
  out.push({
    at: { x: (box.minX + box.maxX) / 2, y: box.minY - TURN_PX / ctx.viewport.zoom },
    handle: { kind: "turn" },
  });
  return out;
}

/** A group resize or turn in progress: the elements as they were when it started. */
export class GroupTransform {
  private readonly originals: Element[] = [];
  private readonly centre: Point;

  constructor(
    private readonly ctx: ToolContext,
    ids: readonly string[],
    private readonly handle: GroupHandle,
    private readonly box: Box,
    private readonly start: Point,
  ) {
    for (const id of ids) {
      const el = ctx.model.get(id);
      if (el && !el.locked) this.originals.push(el);
    }
    this.centre = { x: (box.minX + box.maxX) / 2, y: (box.minY + box.maxY) / 2 };
  }

  drag(p: ToolPointer): void {
    const { editor, model } = this.ctx;
    for (const el of this.originals) {
      if (!model.has(el.id)) continue;
      const set = this.handle.kind === "scale" ? this.scaled(el, p) : this.turned(el, p);
      editor.do({ k: "update", id: el.id, set });
    }
  }

  private scaled(el: Element, p: ToolPointer): UpdateSet {
    if (this.handle.kind !== "scale") return {};
    const { fixed, corner } = this.handle;
    const ratio = (now: number, was: number): number => (Math.abs(was) < 1e-9 ? 1 : now / was);
    let sx = ratio(p.board.x - fixed.x, corner.x - fixed.x);
    let sy = ratio(p.board.y - fixed.y, corner.y - fixed.y);
    if (p.shift) {
      const s = Math.max(Math.abs(sx), Math.abs(sy));
      sx = Math.sign(sx || 1) * s;
      sy = Math.sign(sy || 1) * s;
    }
    if (Math.abs(sx) < MIN_SCALE) sx = Math.sign(sx || 1) * MIN_SCALE;
    if (Math.abs(sy) < MIN_SCALE) sy = Math.sign(sy || 1) * MIN_SCALE;
    const tx = (x: number): number => fixed.x + (x - fixed.x) * sx;
    const ty = (y: number): number => fixed.y + (y - fixed.y) * sy;
    const uniform = Math.min(Math.abs(sx), Math.abs(sy));
    switch (el.type) {
      case "rect":
      case "ellipse":
      case "line":
      case "arrow":
        return { x: tx(el.x), y: ty(el.y), w: el.w * sx, h: el.h * sy };
      case "note":
      case "frame": {
        const x1 = tx(el.x);
        const x2 = tx(el.x + el.w);
        const y1 = ty(el.y);
        const y2 = ty(el.y + el.h);
        const set: UpdateSet = {
          x: Math.min(x1, x2),
          y: Math.min(y1, y2),
          w: Math.max(1, Math.abs(x2 - x1)),
          h: Math.max(1, Math.abs(y2 - y1)),
        };
        if (el.type === "note" && el.size !== undefined) set["size"] = clampSize(el.size * uniform);
        return set;
      }
      case "text":
        return { x: tx(el.x), y: ty(el.y), size: clampSize(el.size * uniform) };
      default: {
        // A pen's points cannot be updated: it moves with its middle.
        const b = bounds(el);
        const cx = (b.minX + b.maxX) / 2;
        const cy = (b.minY + b.maxY) / 2;
        return { x: el.x + tx(cx) - cx, y: el.y + ty(cy) - cy };
      }
    }
  }

  private turned(el: Element, p: ToolPointer): UpdateSet {
    const c = this.centre;
    let a =
      Math.atan2(p.board.y - c.y, p.board.x - c.x) -
      Math.atan2(this.start.y - c.y, this.start.x - c.x);
    if (p.shift) a = Math.round(a / ANGLE_STEP) * ANGLE_STEP;
    const turn = (q: Point): Point => rotatePoint(q, c, a);
    if (el.type === "line" || el.type === "arrow") {
      const a0 = turn({ x: el.x, y: el.y });
      const a1 = turn({ x: el.x + el.w, y: el.y + el.h });
      return { x: a0.x, y: a0.y, w: a1.x - a0.x, h: a1.y - a0.y };
    }
    const b = el.type === "pen" || el.type === "text" ? bounds(el) : shapeBox(el);
    const mid = { x: (b.minX + b.maxX) / 2, y: (b.minY + b.maxY) / 2 };
    const to = turn(mid);
    const set: UpdateSet = { x: el.x + to.x - mid.x, y: el.y + to.y - mid.y };
    if (updatable(el.type, "angle")) {
      const was = (el as { angle?: number }).angle ?? 0;
      set["angle"] = wrapAngle(was + a);
    }
    return set;
  }

  /** The box drawn while scaling or turning (the start box, for reference). */
  get startBox(): Box {
    return this.box;
  }
}
