/**
 * Input: Pointer Events on the board, turned into tool gestures, pans and pinches.
 *
 * Pointer Events give mouse, touch and stylus one code path. Besides the active tool's gesture
 * this handles what works with every tool: space+drag and middle-button drag pan, two fingers
 * pan and pinch-zoom, the wheel zooms (or pans, for trackpad scrolling), and the pointer position
 * is reported for the cursors others see.
 */
import type { Renderer } from "../render/renderer";
import type { Point, Viewport } from "../render/viewport";
import type { Sample, Tool, ToolPointer } from "../tools/tool";

type Gesture =
  | { kind: "none" }
  | { kind: "tool"; pointerId: number; tool: Tool }
  | { kind: "pan"; pointerId: number; last: Point }
  | { kind: "pinch"; ids: [number, number]; dist: number; mid: Point };

export class BoardInput {
  private gesture: Gesture = { kind: "none" };
  private readonly touches = new Map<number, Point>();
  private space = false;
  /**
   * Pen mode (palm rejection): once a stylus is used, a finger only pans and zooms. The page
   * decides (`penOnly`), hears when a stylus shows up (`penSeen`), and gives the tool the
   * stylus's eraser end uses (`eraser`).
   */
  penOnly: () => boolean = () => false;
  penSeen: () => void = () => {};
  eraser: (() => Tool) | null = null;

  constructor(
    private readonly surface: HTMLElement,
    private readonly viewport: Viewport,
    private readonly renderer: Renderer,
    private readonly tool: () => Tool,
    private readonly onCursor: (p: Point | null) => void,
    /** Gets first look at a press; returning true swallows it (e.g. it only ends text editing). */
    private readonly intercept: () => boolean = () => false,
  ) {
    surface.addEventListener("pointerdown", (e) => this.down(e));
    surface.addEventListener("pointermove", (e) => this.move(e));
    surface.addEventListener("pointerup", (e) => this.up(e, false));
    surface.addEventListener("pointercancel", (e) => this.up(e, true));
    surface.addEventListener("pointerleave", () => this.onCursor(null));
    surface.addEventListener("dblclick", (e) => this.tool().doubleClick?.(this.info(e)));
    surface.addEventListener("wheel", (e) => this.wheel(e), { passive: false });
    surface.addEventListener("contextmenu", (e) => e.preventDefault());
  }

  /** Space held: dragging pans, whatever the tool. */
  setSpace(down: boolean): void {
    this.space = down;
    this.updateCursor();
  }

  /** The active tool changed: end any gesture of the old one. */
  toolChanged(old: Tool): void {
    if (this.gesture.kind === "tool") this.gesture.tool.cancel();
    this.gesture = { kind: "none" };
    old.deactivate?.();
    this.updateCursor();
    this.renderer.invalidateOverlay();
  }

  updateCursor(p?: ToolPointer): void {
    const t = this.tool();
    const panning = this.gesture.kind === "pan";
    this.surface.style.cursor = panning
      ? "grabbing"
      : this.space
        ? "grab"
        : p && t.cursorAt
          ? t.cursorAt(p)
          : t.cursor;
  }

  private point(e: { clientX: number; clientY: number }): Point {
    const r = this.surface.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  private info(e: PointerEvent | MouseEvent): ToolPointer {
    const screen = this.point(e);
    const board = this.viewport.toBoard(screen.x, screen.y);
    const isPen = "pointerType" in e && e.pointerType === "pen";
    const pressure = isPen ? (e as PointerEvent).pressure : null;
    let samples: Sample[] = [{ board, pressure }];
    if ("getCoalescedEvents" in e && typeof e.getCoalescedEvents === "function") {
      const all = e.getCoalescedEvents();
      if (all.length > 1) {
        samples = all.map((c) => {
          const s = this.point(c);
          return { board: this.viewport.toBoard(s.x, s.y), pressure: isPen ? c.pressure : null };
        });
      }
    }
    return {
      board,
      screen,
      samples,
      pressure,
      shift: e.shiftKey,
      alt: e.altKey,
      mod: e.ctrlKey || e.metaKey,
    };
  }

  private down(e: PointerEvent): void {
    // Only the board itself: not the text box or anything else laid over it.
    if (!(e.target instanceof HTMLCanvasElement)) return;
    // No mousedown default: it would move focus away from a text box a tool is opening.
    e.preventDefault();
    if (this.gesture.kind === "none" && e.button === 0 && this.intercept()) return;
    if (e.pointerType === "touch") {
      this.touches.set(e.pointerId, this.point(e));
      if (this.touches.size === 2) {
        // A second finger turns whatever the first one started into a pan/pinch.
        if (this.gesture.kind === "tool") this.gesture.tool.cancel();
        const [a, b] = [...this.touches.entries()] as [[number, Point], [number, Point]];
        this.gesture = {
          kind: "pinch",
          ids: [a[0], b[0]],
          dist: distance(a[1], b[1]),
          mid: midpoint(a[1], b[1]),
        };
        return;
      }
    }
    if (this.gesture.kind !== "none") return;
    this.surface.setPointerCapture(e.pointerId);
    if (e.pointerType === "pen") this.penSeen();
    const palm = e.pointerType === "touch" && this.penOnly();
    const pans = this.tool().name === "hand" || this.tool().name === "replay" || palm;
    if (e.button === 1 || this.space || (e.button === 0 && pans)) {
      this.gesture = { kind: "pan", pointerId: e.pointerId, last: this.point(e) };
      this.updateCursor();
      e.preventDefault();
      return;
    }
    // The stylus's eraser end (button 5, `buttons` bit 32) erases whatever the tool.
    const erasing = e.pointerType === "pen" && (e.buttons & 32) !== 0 && this.eraser !== null;
    if (e.button !== 0 && !erasing) return;
    const tool = erasing && this.eraser ? this.eraser() : this.tool();
    this.gesture = { kind: "tool", pointerId: e.pointerId, tool };
    tool.down(this.info(e));
  }

  private move(e: PointerEvent): void {
    const g = this.gesture;
    if (e.pointerType === "touch" && this.touches.has(e.pointerId))
      this.touches.set(e.pointerId, this.point(e));
    if (g.kind === "pinch") {
      const a = this.touches.get(g.ids[0]);
      const b = this.touches.get(g.ids[1]);
      if (!a || !b) return;
      const mid = midpoint(a, b);
      const dist = distance(a, b);
      this.viewport.panBy(mid.x - g.mid.x, mid.y - g.mid.y);
      if (g.dist > 0) this.viewport.zoomBy(dist / g.dist, mid.x, mid.y);
      g.mid = mid;
      g.dist = dist;
      return;
    }
    if (g.kind === "pan" && g.pointerId === e.pointerId) {
      const p = this.point(e);
      this.viewport.panBy(p.x - g.last.x, p.y - g.last.y);
      g.last = p;
      return;
    }
    const info = this.info(e);
    if (e.pointerType !== "touch") this.onCursor(info.board);
    if (g.kind === "tool" && g.pointerId === e.pointerId) g.tool.move(info);
    else if (g.kind === "none") {
      this.tool().hover?.(info);
      this.updateCursor(info);
    }
  }

  private up(e: PointerEvent, cancelled: boolean): void {
    this.touches.delete(e.pointerId);
    const g = this.gesture;
    if (g.kind === "pinch") {
      if (this.touches.size === 0) this.gesture = { kind: "none" };
      return;
    }
    if (g.kind === "none" || g.pointerId !== e.pointerId) return;
    this.gesture = { kind: "none" };
    if (g.kind === "tool") {
      if (cancelled) g.tool.cancel();
      else g.tool.up(this.info(e));
    }
    this.updateCursor();
  }

  private wheel(e: WheelEvent): void {
    e.preventDefault();
    const p = this.point(e);
    const lineScale = e.deltaMode === 1 ? 33 : e.deltaMode === 2 ? 400 : 1;
    const dx = e.deltaX * lineScale;
    const dy = e.deltaY * lineScale;
    if (e.ctrlKey || e.metaKey) {
      // Trackpad pinch arrives as ctrl+wheel with small deltas.
      this.viewport.zoomBy(Math.exp(-dy * 0.01), p.x, p.y);
    } else if (e.shiftKey || dx !== 0 || (e.deltaMode === 0 && !Number.isInteger(dy))) {
      // Trackpad two-finger scroll (fractional or two-axis deltas) pans.
      this.viewport.panBy(-(dx || (e.shiftKey ? dy : 0)), e.shiftKey ? 0 : -dy);
    } else {
      this.viewport.zoomBy(Math.exp(-dy * 0.0015), p.x, p.y);
    }
  }
}

const distance = (a: Point, b: Point): number => Math.hypot(a.x - b.x, a.y - b.y);
const midpoint = (a: Point, b: Point): Point => ({ x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 });
