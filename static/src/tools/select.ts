/**
 * Select: click to pick the topmost element, shift-click to add or remove, drag on empty board
 * for a marquee (selects what lies wholly inside), drag a selected element to move the
 * selection, drag a handle to resize a single shape, line or text. Moves and resizes are sent
 * while dragging (coalesced per frame by the model) so others see them live, and undo as one.
 */
import type { Element } from "../model/types";
import { bounds, contains, unionBox } from "../render/geometry";
import type { Box, Point } from "../render/viewport";
import { editText } from "./text";
import { tolerance, type Tool, type ToolContext, type ToolPointer } from "./tool";

type Handle = { kind: "corner"; fixed: Point } | { kind: "end"; which: 0 | 1 } | { kind: "text" };

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
    return this.handleAt(p.board) ? "nwse-resize" : "default";
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
      case "note":
      case "frame": {
        const x0 = Math.min(el.x, el.x + el.w);
        const y0 = Math.min(el.y, el.y + el.h);
        const x1 = Math.max(el.x, el.x + el.w);
        const y1 = Math.max(el.y, el.y + el.h);
        const corners: [Point, Point][] = [
          [
            { x: x0, y: y0 },
            { x: x1, y: y1 },
          ],
          [
            { x: x1, y: y0 },
            { x: x0, y: y1 },
          ],
          [
            { x: x1, y: y1 },
            { x: x0, y: y0 },
          ],
          [
            { x: x0, y: y1 },
            { x: x1, y: y0 },
          ],
        ];
        return corners.map(([at, fixed]) => ({
          at,
          handle: { kind: "corner", fixed },
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
        const b = bounds(el);
        return [{ at: { x: b.maxX, y: b.maxY }, handle: { kind: "text" }, id, original: el }];
      }
      case "pen":
        return [];
    }
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
    if (h.kind === "corner") {
      let w = p.board.x - h.fixed.x;
      let hh = p.board.y - h.fixed.y;
      if (p.shift) {
        const m = Math.max(Math.abs(w), Math.abs(hh));
        w = Math.sign(w || 1) * m;
        hh = Math.sign(hh || 1) * m;
      }
      const x = Math.min(h.fixed.x, h.fixed.x + w);
      const y = Math.min(h.fixed.y, h.fixed.y + hh);
      editor.do({ k: "update", id: s.id, set: { x, y, w: Math.abs(w), h: Math.abs(hh) } });
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
      const b = bounds(el);
      const factor = Math.max(
        (p.board.y - el.y) / Math.max(1, b.maxY - b.minY),
        (p.board.x - el.x) / Math.max(1, b.maxX - b.minX),
      );
      const size = Math.round(Math.min(400, Math.max(4, el.size * factor)) * 10) / 10;
      editor.do({ k: "update", id: s.id, set: { size } });
    }
  }
}

function boxOf(a: Point, b: Point): Box {
  return {
    minX: Math.min(a.x, b.x),
    minY: Math.min(a.y, b.y),
    maxX: Math.max(a.x, b.x),
    maxY: Math.max(a.y, b.y),
  };
}
