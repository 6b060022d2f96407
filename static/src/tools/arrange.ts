/**
 * What the selection menu and its shortcuts do to the selection: stacking order (with `z`),
 * lock and unlock (PROTOCOL.md 1.1 `locked`), align and distribute. Each is one undoable
 * action. Locked elements are left where they are: the server refuses to change them.
 */
import type { Element, UpdateSet } from "../model/types";
import { resolveLine } from "../render/bindings";
import { bounds, contains, intersects, unionBox } from "../render/geometry";
import type { Box } from "../render/viewport";
import type { ToolContext } from "./tool";

export type StackMove = "front" | "forward" | "backward" | "back";
export type Edge = "left" | "centre" | "right" | "top" | "middle" | "bottom";

/** Frames stack among frames, everything else among everything else (frames are below). */
const layerOf = (el: Element): number => (el.type === "frame" ? 0 : 1);

/** The stacking key of an element as it is seen now: z where set, else its first-add rank. */
export const keyOf = (ctx: ToolContext, el: Element): number => el.z ?? ctx.model.rank(el.id);

function live(ctx: ToolContext, ids: Iterable<string>): Element[] {
  const out: Element[] = [];
  for (const id of ids) {
    const el = ctx.model.get(id);
    if (el && !el.locked) out.push(el);
  }
  return out;
}

/** Changes the stacking of the (unlocked) elements of `ids`, as one undoable action. */
export function restack(ctx: ToolContext, ids: Iterable<string>, how: StackMove): void {
  const chosen = live(ctx, ids);
  if (chosen.length === 0) return;
  const picked = new Set(chosen.map((e) => e.id));
  const { editor } = ctx;
  editor.begin();
  for (const layer of [0, 1]) {
    const mine = chosen.filter((e) => layerOf(e) === layer);
    if (mine.length === 0) continue;
    const asc = mine.sort((a, b) => keyOf(ctx, a) - keyOf(ctx, b));
    if (how === "front" || how === "back") {
      let edge = how === "front" ? -Infinity : Infinity;
      ctx.model.forEach((e) => {
        if (layerOf(e) !== layer || picked.has(e.id)) return;
        const k = keyOf(ctx, e);
        edge = how === "front" ? Math.max(edge, k) : Math.min(edge, k);
      });
      if (!Number.isFinite(edge)) continue;
      asc.forEach((e, i) => {
        const z = how === "front" ? Math.floor(edge) + 1 + i : Math.ceil(edge) - asc.length + i;
        editor.do({ k: "update", id: e.id, set: { z } });
      });
      continue;
    }
    // One step past the nearest overlapping element above (or below), keeping the order of
    // the chosen ones: the topmost moves first when going up, the lowest when going down.
    const order = how === "forward" ? asc.reverse() : asc;
    for (const e of order) {
      const z = stepPast(ctx, e, picked, how === "forward" ? 1 : -1);
      if (z !== null) editor.do({ k: "update", id: e.id, set: { z } });
    }
  }
  editor.end();
}

/**
 * The z that puts `el` just past the nearest element overlapping it in direction `dir` (1 up,
 * -1 down), between that one and the next distinct key beyond it; null if none overlaps.
 */
function stepPast(ctx: ToolContext, el: Element, picked: Set<string>, dir: 1 | -1): number | null {
  ctx.renderer.sync();
  const mine = keyOf(ctx, el);
  const box = bounds(el);
  const keys: number[] = [];
  for (const item of ctx.renderer.index.search(box)) {
    const other = ctx.model.get(item.id);
    if (!other || picked.has(other.id) || layerOf(other) !== layerOf(el)) continue;
    if (!intersects(box, item)) continue;
    const k = keyOf(ctx, other);
    if (
      (k - mine) * dir > 0 ||
      (k === mine && (ctx.model.rank(other.id) - ctx.model.rank(el.id)) * dir > 0)
    )
      keys.push(k);
  }
  if (keys.length === 0) return null;
  keys.sort((a, b) => (a - b) * dir);
  const past = keys[0] as number;
  const beyond = keys.find((k) => k !== past);
  return beyond === undefined ? past + dir : (past + beyond) / 2;
}

/** Locks or unlocks `ids` (PROTOCOL.md 1.1: an unlock is `{locked: false}` alone). */
export function setLocked(ctx: ToolContext, ids: Iterable<string>, locked: boolean): void {
  const { editor, model } = ctx;
  editor.begin();
  for (const id of ids) {
    const el = model.get(id);
    if (el && (el.locked ?? false) !== locked) editor.do({ k: "update", id, set: { locked } });
  }
  editor.end();
}

/** The box an element occupies for aligning and snapping: its shape, not its stroke's pad. */
export function shapeBox(el: Element): Box {
  if ("w" in el && el.type !== "line" && el.type !== "arrow") {
    return {
      minX: Math.min(el.x, el.x + el.w),
      minY: Math.min(el.y, el.y + el.h),
      maxX: Math.max(el.x, el.x + el.w),
      maxY: Math.max(el.y, el.y + el.h),
    };
  }
  return bounds(el);
}

/** Lines up the (unlocked) elements of `ids` on an edge or the middle of their common box. */
export function align(ctx: ToolContext, ids: Iterable<string>, edge: Edge): void {
  const els = live(ctx, ids);
  if (els.length < 2) return;
  let all: Box | null = null;
  for (const e of els) all = unionBox(all, shapeBox(e));
  const box = all as Box;
  ctx.editor.begin();
  for (const e of els) {
    const b = shapeBox(e);
    let dx = 0;
    let dy = 0;
    if (edge === "left") dx = box.minX - b.minX;
    else if (edge === "right") dx = box.maxX - b.maxX;
    else if (edge === "centre") dx = (box.minX + box.maxX) / 2 - (b.minX + b.maxX) / 2;
    else if (edge === "top") dy = box.minY - b.minY;
    else if (edge === "bottom") dy = box.maxY - b.maxY;
    else dy = (box.minY + box.maxY) / 2 - (b.minY + b.maxY) / 2;
    if (dx !== 0 || dy !== 0) ctx.editor.do({ k: "update", id: e.id, set: moved(e, dx, dy) });
  }
  ctx.editor.end();
}

/** Spaces the (unlocked) elements of `ids` evenly along an axis, the outer two staying put. */
export function distribute(ctx: ToolContext, ids: Iterable<string>, axis: "x" | "y"): void {
  const els = live(ctx, ids);
  if (els.length < 3) return;
  const lo = axis === "x" ? "minX" : "minY";
  const hi = axis === "x" ? "maxX" : "maxY";
  const boxes = els.map((e) => ({ e, b: shapeBox(e) }));
  boxes.sort((a, b) => a.b[lo] + a.b[hi] - (b.b[lo] + b.b[hi]));
  const first = (boxes[0] as { b: Box }).b;
  const last = (boxes[boxes.length - 1] as { b: Box }).b;
  const sizes = boxes.reduce((n, { b }) => n + (b[hi] - b[lo]), 0);
  const gap = (last[hi] - first[lo] - sizes) / (boxes.length - 1);
  ctx.editor.begin();
  let at = first[lo];
  for (const { e, b } of boxes) {
    const d = at - b[lo];
    if (d !== 0)
      ctx.editor.do({
        k: "update",
        id: e.id,
        set: moved(e, axis === "x" ? d : 0, axis === "y" ? d : 0),
      });
    at += b[hi] - b[lo] + gap;
  }
  ctx.editor.end();
}

/** The `set` that moves an element by (dx, dy). */
export function moved(el: Element, dx: number, dy: number): UpdateSet {
  return { x: el.x + dx, y: el.y + dy };
}

/**
 * What moves with a selection: the selected elements and, for each selected frame, what lies
 * wholly inside it; never locked elements (the server would refuse to move them).
 */
export function movingSet(ctx: ToolContext, ids: Iterable<string>): Set<string> {
  const out = new Set<string>();
  ctx.renderer.sync();
  for (const id of ids) {
    const el = ctx.model.get(id);
    if (!el || el.locked) continue;
    out.add(id);
    if (el.type !== "frame") continue;
    const box = { minX: el.x, minY: el.y, maxX: el.x + el.w, maxY: el.y + el.h };
    for (const item of ctx.renderer.index.search(box)) {
      if (item.id !== id && !item.el.locked && contains(box, item)) out.add(item.id);
    }
  }
  return out;
}

/**
 * What a copy or a duplicate takes: the selection with what lies inside its frames, as drawn
 * (attached lines where they are drawn), in drawing order, so copies stack as the originals.
 */
export function selectionAsDrawn(ctx: ToolContext): Element[] {
  const { model } = ctx;
  const out: Element[] = [];
  for (const id of movingSet(ctx, ctx.selection.list())) {
    const el = model.get(id);
    if (!el) continue;
    out.push(el.type === "line" || el.type === "arrow" ? resolveLine(el, (o) => model.get(o)) : el);
  }
  return out.sort((a, b) => layerOf(a) - layerOf(b) || keyOf(ctx, a) - keyOf(ctx, b));
}
