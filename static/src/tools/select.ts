/**
 * Select: click to pick the topmost element, shift-click to add or remove, drag on empty board
 * for a marquee (selects what lies wholly inside), drag a selected element to move the
 * selection, drag a handle to resize a single shape, line or text. Moves and resizes are sent
 * while dragging (coalesced per frame by the model) so others see them live, and undo as one.
 */
import type { Element } from "../model/types";
import {
  angleOf,
  bounds,
  centreOf,
  contains,
  frameOf,
  isRotatable,
  rotatePoint,
  turnedCorners,
  unionBox,
} from "../render/geometry";
import type { Box, Point } from "../render/viewport";
import { editText } from "./text";
import { tolerance, type Tool, type ToolContext, type ToolPointer } from "./tool";

type Handle =
  | { kind: "corner"; fixed: Point }
  | { kind: "end"; which: 0 | 1 }
  | { kind: "text" }
  | { kind: "rotate" };

type State =
  | { mode: "idle" }
  | {
      mode: "press";
      start: Point;
      startScreen: Point;
      originals: Map<string, Point>;
      moved: boolean;
    }
  | { mode: "marquee"; start: Point; end: Point; base: Set<string> }
  | { mode: "resize"; id: string; handle: Handle; original: Element };

const DRAG_PX = 3;
const HANDLE_PX = 8;
/** How far above its top edge the rotation handle of an element sits, in screen pixels. */
const ROTATE_PX = 24;
/** Shift while turning snaps to steps of this many radians (15°). */
const ANGLE_STEP = Math.PI / 12;
const ACCENT = "#4263eb";

export class SelectTool implements Tool {
  readonly name = "select" as const;
  readonly cursor = "default";
  private state: State = { mode: "idle" };

  constructor(private readonly ctx: ToolContext) {
    ctx.selection.onChange(() => ctx.renderer.invalidateOverlay());
  }

  down(p: ToolPointer): void {
    const { selection, renderer, viewport } = this.ctx;
    renderer.sync();
    const handle = this.handleAt(p.board);
    if (handle) {
      this.state = { mode: "resize", ...handle };
      this.ctx.editor.begin();
      return;
    }
    const hit = renderer.index.hit(p.board, tolerance(viewport));
    if (!hit) {
      if (!p.shift) selection.clear();
      this.state = {
        mode: "marquee",
        start: p.board,
        end: p.board,
        base: new Set(selection.list()),
      };
      return;
    }
    if (p.shift) selection.toggle(hit.id);
    else if (!selection.has(hit.id)) selection.set([hit.id]);
    if (!selection.has(hit.id)) {
      this.state = { mode: "idle" };
      return;
    }
    const originals = new Map<string, Point>();
    for (const id of selection.list()) {
      const el = this.ctx.model.get(id);
      if (el) originals.set(id, { x: el.x, y: el.y });
    }
    this.state = { mode: "press", start: p.board, startScreen: p.screen, originals, moved: false };
  }

  move(p: ToolPointer): void {
    const s = this.state;
    if (s.mode === "press") {
      if (!s.moved) {
        if (Math.hypot(p.screen.x - s.startScreen.x, p.screen.y - s.startScreen.y) < DRAG_PX)
          return;
        s.moved = true;
        this.ctx.editor.begin();
      }
      const dx = p.board.x - s.start.x;
      const dy = p.board.y - s.start.y;
      for (const [id, o] of s.originals) {
        if (this.ctx.model.has(id))
          this.ctx.editor.do({ k: "update", id, set: { x: o.x + dx, y: o.y + dy } });
      }
    } else if (s.mode === "marquee") {
      s.end = p.board;
      const box = boxOf(s.start, s.end);
      const inside = new Set(s.base);
      for (const item of this.ctx.renderer.index.search(box))
        if (contains(box, item)) inside.add(item.id);
      this.ctx.selection.set(inside);
      this.ctx.renderer.invalidateOverlay();
    } else if (s.mode === "resize") {
      this.resize(s, p);
    }
  }

  up(p: ToolPointer): void {
    this.move(p);
    this.cancel();
  }

  cancel(): void {
    const s = this.state;
    if ((s.mode === "press" && s.moved) || s.mode === "resize") this.ctx.editor.end();
    this.state = { mode: "idle" };
    this.ctx.renderer.invalidateOverlay();
  }

  doubleClick(p: ToolPointer): void {
    this.ctx.renderer.sync();
    const hit = this.ctx.renderer.index.hit(p.board, tolerance(this.ctx.viewport));
    if (hit?.type === "text") void editText(this.ctx, hit);
  }

  cursorAt(p: ToolPointer): string {
    const h = this.handleAt(p.board);
    return !h ? "default" : h.handle.kind === "rotate" ? "grab" : "nwse-resize";
  }

  paintOverlay(ctx: CanvasRenderingContext2D): void {
    const { selection, model, viewport } = this.ctx;
    const px = 1 / viewport.zoom;
    ctx.lineWidth = px;
    ctx.strokeStyle = ACCENT;
    ctx.setLineDash([4 * px, 3 * px]);
    let all: Box | null = null;
    for (const id of selection.list()) {
      const el = model.get(id);
      if (!el) continue;
      const b = bounds(el);
      all = unionBox(all, b);
      if (angleOf(el) !== 0 && isRotatable(el)) {
        // A turned element's outline turns with it.
        const f = frameOf(el);
        const pad = {
          minX: f.minX - 2 * px,
          minY: f.minY - 2 * px,
          maxX: f.maxX + 2 * px,
          maxY: f.maxY + 2 * px,
        };
        outline(ctx, turnedCorners(pad, centreOf(el), angleOf(el)));
        continue;
      }
      ctx.strokeRect(
        b.minX - 2 * px,
        b.minY - 2 * px,
        b.maxX - b.minX + 4 * px,
        b.maxY - b.minY + 4 * px,
      );
    }
    ctx.setLineDash([]);
    if (selection.size > 1 && all) {
      ctx.strokeRect(
        all.minX - 5 * px,
        all.minY - 5 * px,
        all.maxX - all.minX + 10 * px,
        all.maxY - all.minY + 10 * px,
      );
    }
    for (const h of this.handles()) {
      const r = (HANDLE_PX / 2) * px;
      ctx.fillStyle = "#ffffff";
      if (h.handle.kind === "rotate") {
        const el = h.original as Element & { type: "rect" | "ellipse" | "text" | "image" };
        const f = frameOf(el);
        const top = rotatePoint({ x: (f.minX + f.maxX) / 2, y: f.minY }, centreOf(el), angleOf(el));
        ctx.beginPath();
        ctx.moveTo(top.x, top.y);
        ctx.lineTo(h.at.x, h.at.y);
        ctx.stroke();
        ctx.beginPath();
        ctx.arc(h.at.x, h.at.y, r, 0, 2 * Math.PI);
        ctx.fill();
        ctx.stroke();
        continue;
      }
      ctx.fillRect(h.at.x - r, h.at.y - r, 2 * r, 2 * r);
      ctx.strokeRect(h.at.x - r, h.at.y - r, 2 * r, 2 * r);
    }
    const s = this.state;
    if (s.mode === "marquee") {
      const b = boxOf(s.start, s.end);
      ctx.fillStyle = "rgba(66, 99, 235, 0.08)";
      ctx.fillRect(b.minX, b.minY, b.maxX - b.minX, b.maxY - b.minY);
      ctx.strokeRect(b.minX, b.minY, b.maxX - b.minX, b.maxY - b.minY);
    }
  }

  // ---- actions on the selection (keyboard and buttons) -----------------------------------

  deleteSelection(): void {
    this.ctx.editor.deleteAll(this.ctx.selection.list().filter((id) => this.ctx.model.has(id)));
  }

  /** Ctrl+D: copies of the selection, a little offset, which become the selection. */
  duplicateSelection(): void {
    const { editor, model, selection } = this.ctx;
    const copies: string[] = [];
    editor.begin();
    for (const id of selection.list()) {
      const el = model.get(id);
      if (!el) continue;
      const copy = { ...el, id: this.ctx.newId(), x: el.x + 16, y: el.y + 16 };
      delete copy.z;
      if (editor.do({ k: "add", e: copy })) copies.push(copy.id);
    }
    editor.end();
    if (copies.length > 0) selection.set(copies);
  }

  nudge(dx: number, dy: number): void {
    const { editor, model, selection } = this.ctx;
    editor.begin();
    for (const id of selection.list()) {
      const el = model.get(id);
      if (el) editor.do({ k: "update", id, set: { x: el.x + dx, y: el.y + dy } });
    }
    editor.end();
  }

  // ---- handles ----------------------------------------------------------------------------

  /** Handles of the single selected element, with what dragging each one does. */
  private handles(): { at: Point; handle: Handle; id: string; original: Element }[] {
    const { selection, model } = this.ctx;
    if (selection.size !== 1 || this.state.mode === "press") return [];
    const id = selection.list()[0] as string;
    const el = model.get(id);
    if (!el) return [];
    switch (el.type) {
      case "rect":
      case "ellipse":
      case "image": {
        const corners = turnedCorners(frameOf(el), centreOf(el), angleOf(el));
        return [
          ...corners.map((at, i) => ({
            at,
            handle: { kind: "corner" as const, fixed: corners[(i + 2) % 4] as Point },
            id,
            original: el,
          })),
          this.rotateHandle(el, id),
        ];
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
        return [{ at, handle: { kind: "text" }, id, original: el }, this.rotateHandle(el, id)];
      }
      case "pen":
        return [];
    }
  }

  /** The handle that turns `el`: above the middle of its top edge, turning with it. */
  private rotateHandle(
    el: Element & { type: "rect" | "ellipse" | "text" | "image" },
    id: string,
  ): { at: Point; handle: Handle; id: string; original: Element } {
    const f = frameOf(el);
    const above = { x: (f.minX + f.maxX) / 2, y: f.minY - ROTATE_PX / this.ctx.viewport.zoom };
    return {
      at: rotatePoint(above, centreOf(el), angleOf(el)),
      handle: { kind: "rotate" },
      id,
      original: el,
    };
  }

  private handleAt(p: Point): { id: string; handle: Handle; original: Element } | null {
    const r = tolerance(this.ctx.viewport, HANDLE_PX);
    for (const h of this.handles()) {
      if (Math.abs(p.x - h.at.x) <= r && Math.abs(p.y - h.at.y) <= r) return h;
    }
    return null;
  }

  private resize(s: Extract<State, { mode: "resize" }>, p: ToolPointer): void {
    const el = s.original;
    const { editor, model } = this.ctx;
    if (!model.has(s.id)) return;
    const h = s.handle;
    if (h.kind === "rotate" && isRotatable(el)) {
      const c = centreOf(el);
      // The handle sits straight above the centre at angle 0.
      let angle = Math.atan2(p.board.y - c.y, p.board.x - c.x) + Math.PI / 2;
      if (p.shift) angle = Math.round(angle / ANGLE_STEP) * ANGLE_STEP;
      angle = Math.atan2(Math.sin(angle), Math.cos(angle)); // -π to π
      editor.do({ k: "update", id: s.id, set: { angle } });
    } else if (h.kind === "corner" && isRotatable(el)) {
      // Worked out in the element's own axes, so a turned shape resizes along its sides and
      // the opposite corner stays where it is on screen.
      const angle = angleOf(el);
      const local = rotatePoint(p.board, h.fixed, -angle);
      let w = local.x - h.fixed.x;
      let hh = local.y - h.fixed.y;
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
      if (el.type === "image") {
        // An image's size must stay above 0 (PROTOCOL.md 1.1).
        const min = 1 / this.ctx.viewport.zoom;
        w = Math.sign(w || 1) * Math.max(Math.abs(w), min);
        hh = Math.sign(hh || 1) * Math.max(Math.abs(hh), min);
      }
      const c = rotatePoint({ x: h.fixed.x + w / 2, y: h.fixed.y + hh / 2 }, h.fixed, angle);
      const aw = Math.abs(w);
      const ah = Math.abs(hh);
      editor.do({ k: "update", id: s.id, set: { x: c.x - aw / 2, y: c.y - ah / 2, w: aw, h: ah } });
    } else if (h.kind === "end" && (el.type === "line" || el.type === "arrow")) {
      const endX = el.x + el.w;
      const endY = el.y + el.h;
      if (h.which === 0) {
        editor.do({
          k: "update",
          id: s.id,
          set: { x: p.board.x, y: p.board.y, w: endX - p.board.x, h: endY - p.board.y },
        });
      } else {
        editor.do({ k: "update", id: s.id, set: { w: p.board.x - el.x, h: p.board.y - el.y } });
      }
    } else if (h.kind === "text" && el.type === "text") {
      const angle = angleOf(el);
      const f = frameOf(el);
      const c = centreOf(el);
      const q = rotatePoint(p.board, c, -angle);
      const factor = Math.max(
        (q.y - el.y) / Math.max(1, f.maxY - f.minY),
        (q.x - el.x) / Math.max(1, f.maxX - f.minX),
      );
      const size = Math.round(Math.min(400, Math.max(4, el.size * factor)) * 10) / 10;
      if (angle === 0) {
        editor.do({ k: "update", id: s.id, set: { size } });
        return;
      }
      // The turned top-left corner stays put while the text grows about its new centre.
      const k = size / el.size;
      const half = { x: ((f.maxX - f.minX) * k) / 2, y: ((f.maxY - f.minY) * k) / 2 };
      const corner = rotatePoint({ x: el.x, y: el.y }, c, angle);
      const nc = rotatePoint({ x: corner.x + half.x, y: corner.y + half.y }, corner, angle);
      editor.do({ k: "update", id: s.id, set: { size, x: nc.x - half.x, y: nc.y - half.y } });
    }
  }
}

function outline(ctx: CanvasRenderingContext2D, corners: Point[]): void {
  ctx.beginPath();
  corners.forEach((c, i) => (i === 0 ? ctx.moveTo(c.x, c.y) : ctx.lineTo(c.x, c.y)));
  ctx.closePath();
  ctx.stroke();
}

function boxOf(a: Point, b: Point): Box {
  return {
    minX: Math.min(a.x, b.x),
    minY: Math.min(a.y, b.y),
    maxX: Math.max(a.x, b.x),
    maxY: Math.max(a.y, b.y),
  };
}
