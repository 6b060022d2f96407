/**
 * Select: click to pick the topmost element, shift-click to add or remove, drag on empty board
 * for a marquee (selects what lies wholly inside), drag a selected element to move the
 * selection, drag a handle to resize a single shape, line or text, or a multi-selection as a
 * group (resize and turn, group.ts). Moves and resizes are sent while dragging (coalesced per
 * frame by the model) so others see them live, and undo as one.
 *
 * PROTOCOL.md 1.1: locked elements are not picked by a click or a marquee (only the menu's
 * "Unlock all" reaches them); moving a frame moves what lies inside it; moving shapes snaps
 * them to the others' edges and centres (Alt: no snapping); dragging a line's end onto a shape
 * attaches it there, and away from it lets go.
 */
import type { Element, LineElement, UpdateSet } from "../model/types";
import { resolveLine } from "../render/bindings";
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
import { movingSet, selectionAsDrawn, shapeBox } from "./arrange";
import { paintTarget } from "./attach";
import { cloneAll } from "./clone";
import { type GroupHandle, groupBox, groupHandles, GroupTransform } from "./group";
import { editElement } from "./edit";
import { dragHandle, type Handle, type HandleAt, handlesOf } from "./handles";
import { Snapper } from "./snap";
import { tolerance, type Tool, type ToolContext, type ToolPointer } from "./tool";

type State =
  | { mode: "idle" }
  | {
      mode: "press";
      start: Point;
      startScreen: Point;
      /** What moves (the selection and what lies in its frames), as drawn at the start. */
      originals: Map<string, Element>;
      /** Per moving line, the ends to let go: attached to something that stays. */
      release: Map<string, UpdateSet>;
      snapper: Snapper | null;
      moved: boolean;
    }
  | { mode: "marquee"; start: Point; end: Point; base: Set<string> }
  | { mode: "resize"; id: string; handle: Handle; original: Element; target?: Element }
  | { mode: "group"; transform: GroupTransform };

const DRAG_PX = 3;
const HANDLE_PX = 8;
const ACCENT = "#4263eb";
const notLocked = (e: Element): boolean => !e.locked;

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
    const group = this.groupHandleAt(p.board);
    if (group) {
      this.state = {
        mode: "group",
        transform: new GroupTransform(this.ctx, selection.list(), group.handle, group.box, p.board),
      };
      this.ctx.editor.begin();
      return;
    }
    const handle = this.handleAt(p.board);
    if (handle) {
      this.state = { mode: "resize", ...handle };
      this.ctx.editor.begin();
      return;
    }
    const hit = renderer.index.hit(p.board, tolerance(viewport), undefined, notLocked);
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
    const moving = movingSet(this.ctx, selection.list());
    const originals = new Map<string, Element>();
    const release = new Map<string, UpdateSet>();
    for (const id of moving) {
      const el = this.drawn(id);
      if (!el) continue;
      originals.set(id, el);
      if (el.type !== "line" && el.type !== "arrow") continue;
      // A line is stored where it is drawn; an end attached to something that stays where it
      // is lets go.
      const set: UpdateSet = { w: el.w, h: el.h };
      if (el.from !== undefined && !moving.has(el.from)) set["from"] = null;
      if (el.to !== undefined && !moving.has(el.to)) set["to"] = null;
      release.set(id, set);
    }
    this.state = {
      mode: "press",
      start: p.board,
      startScreen: p.screen,
      originals,
      release,
      snapper: null,
      moved: false,
    };
  }

  move(p: ToolPointer): void {
    const s = this.state;
    if (s.mode === "press") {
      if (!s.moved) {
        if (Math.hypot(p.screen.x - s.startScreen.x, p.screen.y - s.startScreen.y) < DRAG_PX)
          return;
        s.moved = true;
        let box: Box | null = null;
        for (const el of s.originals.values()) box = unionBox(box, shapeBox(el));
        if (box) s.snapper = new Snapper(this.ctx, box, new Set(s.originals.keys()));
        this.ctx.editor.begin();
      }
      const raw = { x: p.board.x - s.start.x, y: p.board.y - s.start.y };
      const d = s.snapper ? s.snapper.snap(raw.x, raw.y, p.alt) : raw;
      for (const [id, o] of s.originals) {
        if (!this.ctx.model.has(id)) continue;
        const set: UpdateSet = { ...s.release.get(id), x: o.x + d.x, y: o.y + d.y };
        this.ctx.editor.do({ k: "update", id, set });
      }
      this.ctx.renderer.invalidateOverlay();
    } else if (s.mode === "marquee") {
      s.end = p.board;
      const box = boxOf(s.start, s.end);
      const inside = new Set(s.base);
      for (const item of this.ctx.renderer.index.search(box))
        if (!item.el.locked && contains(box, item)) inside.add(item.id);
      this.ctx.selection.set(inside);
      this.ctx.renderer.invalidateOverlay();
    } else if (s.mode === "resize") {
      this.resize(s, p);
    } else if (s.mode === "group") {
      s.transform.drag(p);
    }
  }

  up(p: ToolPointer): void {
    this.move(p);
    const s = this.state;
    if (s.mode === "resize") this.settle(s.id);
    this.cancel();
  }

  cancel(): void {
    const s = this.state;
    if ((s.mode === "press" && s.moved) || s.mode === "resize" || s.mode === "group")
      this.ctx.editor.end();
    this.state = { mode: "idle" };
    this.ctx.renderer.invalidateOverlay();
  }

  doubleClick(p: ToolPointer): void {
    this.ctx.renderer.sync();
    const hit = this.ctx.renderer.index.hit(
      p.board,
      tolerance(this.ctx.viewport),
      undefined,
      notLocked,
    );
    const el = hit && this.ctx.model.get(hit.id);
    if (!el) return;
    editElement(this.ctx, el);
  }

  cursorAt(p: ToolPointer): string {
    const g = this.groupHandleAt(p.board);
    if (g) return g.handle.kind === "turn" ? "grab" : "nwse-resize";
    const h = this.handleAt(p.board);
    return !h ? "default" : h.handle.kind === "rotate" ? "grab" : "nwse-resize";
  }

  paintOverlay(ctx: CanvasRenderingContext2D): void {
    const { selection, viewport, renderer } = this.ctx;
    const px = 1 / viewport.zoom;
    ctx.lineWidth = px;
    ctx.strokeStyle = ACCENT;
    ctx.setLineDash([4 * px, 3 * px]);
    let all: Box | null = null;
    for (const id of selection.list()) {
      const item = renderer.index.get(id);
      if (!item) continue;
      all = unionBox(all, item);
      const el = item.el;
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
        item.minX - 2 * px,
        item.minY - 2 * px,
        item.maxX - item.minX + 4 * px,
        item.maxY - item.minY + 4 * px,
      );
    }
    ctx.setLineDash([]);
    const group = this.state.mode === "press" ? null : groupBox(this.ctx, selection.list());
    if (selection.size > 1 && all && !group) {
      ctx.strokeRect(
        all.minX - 5 * px,
        all.minY - 5 * px,
        all.maxX - all.minX + 10 * px,
        all.maxY - all.minY + 10 * px,
      );
    }
    const r = (HANDLE_PX / 2) * px;
    if (group) {
      ctx.strokeRect(group.minX, group.minY, group.maxX - group.minX, group.maxY - group.minY);
      for (const h of groupHandles(this.ctx, group)) {
        ctx.fillStyle = "#ffffff";
        ctx.beginPath();
        if (h.handle.kind === "turn") ctx.arc(h.at.x, h.at.y, r, 0, 2 * Math.PI);
        else ctx.rect(h.at.x - r, h.at.y - r, 2 * r, 2 * r);
        ctx.fill();
        ctx.stroke();
      }
    }
    for (const h of this.handles()) {
      ctx.fillStyle = "#ffffff";
      if (h.handle.kind === "rotate" && isRotatable(h.original)) {
        const el = h.original;
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
    } else if (s.mode === "press") {
      s.snapper?.paint(ctx);
    } else if (s.mode === "resize" && s.target) {
      paintTarget(ctx, s.target, viewport.zoom);
    }
  }

  // ---- actions on the selection (keyboard and buttons) -----------------------------------

  deleteSelection(): void {
    const { model, selection, editor } = this.ctx;
    editor.deleteAll(selection.list().filter((id) => model.has(id) && !model.get(id)?.locked));
  }

  /** Ctrl+D: copies of the selection (with what lies inside its frames), a little offset,
   * which become the selection. */
  duplicateSelection(): void {
    const { editor, selection } = this.ctx;
    const copies = cloneAll(selectionAsDrawn(this.ctx), () => this.ctx.newId(), 16, 16);
    editor.begin();
    const added = copies.filter((copy) => editor.do({ k: "add", e: copy }));
    editor.end();
    if (added.length > 0) selection.set(added.map((e) => e.id));
  }

  nudge(dx: number, dy: number): void {
    const { editor, model, selection } = this.ctx;
    editor.begin();
    for (const id of movingSet(this.ctx, selection.list())) {
      const el = model.get(id);
      if (el) editor.do({ k: "update", id, set: { x: el.x + dx, y: el.y + dy } });
    }
    editor.end();
  }

  // ---- handles ----------------------------------------------------------------------------

  /** The element as drawn: a line's attached ends on their shapes. */
  private drawn(id: string): Element | undefined {
    const el = this.ctx.model.get(id);
    if (el?.type !== "line" && el?.type !== "arrow") return el;
    return resolveLine(el, (other) => this.ctx.model.get(other));
  }

  private groupHandleAt(p: Point): { handle: GroupHandle; box: Box } | null {
    const { selection } = this.ctx;
    if (selection.size < 2) return null;
    const box = groupBox(this.ctx, selection.list());
    if (!box) return null;
    const r = tolerance(this.ctx.viewport, HANDLE_PX);
    for (const h of groupHandles(this.ctx, box)) {
      if (Math.abs(p.x - h.at.x) <= r && Math.abs(p.y - h.at.y) <= r)
        return { handle: h.handle, box };
    }
    return null;
  }

  /** Handles of the single selected element, with what dragging each one does. */
  private handles(): HandleAt[] {
    const { selection } = this.ctx;
    if (selection.size !== 1 || this.state.mode === "press") return [];
    const id = selection.list()[0] as string;
    const el = this.drawn(id);
    if (!el || el.locked) return [];
    return handlesOf(el, id, this.ctx.viewport.zoom);
  }

  private handleAt(p: Point): { id: string; handle: Handle; original: Element } | null {
    const r = tolerance(this.ctx.viewport, HANDLE_PX);
    for (const h of this.handles()) {
      if (Math.abs(p.x - h.at.x) <= r && Math.abs(p.y - h.at.y) <= r) return h;
    }
    return null;
  }

  private resize(s: Extract<State, { mode: "resize" }>, p: ToolPointer): void {
    s.target = dragHandle(this.ctx, s, p);
  }

  /** Stores an attached line where it is drawn, for readers that know no bindings. */
  private settle(id: string): void {
    const el = this.ctx.model.get(id);
    if (el?.type !== "line" && el?.type !== "arrow") return;
    const drawn: LineElement = resolveLine(el, (other) => this.ctx.model.get(other));
    if (drawn === el) return;
    this.ctx.editor.do({
      k: "update",
      id,
      set: { x: drawn.x, y: drawn.y, w: drawn.w, h: drawn.h },
    });
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
