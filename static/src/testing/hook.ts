/**
 * window.__wb: what the browser tests (tests/e2e) and the frame-time bench (bench/frames.py)
 * read and drive. Only their bundle (`node build.mjs --e2e`) has it: app.ts installs it under
 * the __TEST_HOOKS__ flag, so the bundle `make run` serves carries none of this file.
 */
import type { Editor } from "../model/editor";
import type { Model } from "../model/model";
import type { Element, OpBody } from "../model/types";
import { renderPng } from "../render/export-png";
import type { Connection } from "../net/connection";
import type { Renderer } from "../render/renderer";
import type { Viewport } from "../render/viewport";
import type { HistoryLoader } from "../replay/loader";
import type { LaserTrails } from "../render/laser";
import type { Follow } from "../ui/follow";
import type { Selection } from "../tools/selection";
import type { ToolName } from "../tools/tool";

export interface TestHook {
  board: string;
  elements(): Element[];
  confirmed(): Element[];
  pending(): number;
  status(): string;
  seq(): number;
  me(): number;
  viewport(): { x: number; y: number; zoom: number };
  setViewport(x: number, y: number, zoom: number): void;
  /** Simulates losing the network (true) and getting it back (false). */
  setOffline(offline: boolean): void;
  setTool(name: ToolName): void;
  frameStats(): {
    lastPaintMs: number;
    lastFrameMs: number;
    pieces: number;
    fullRepaints: number;
    frames: number;
    drawn: number;
  };
  /** Resolves after the next painted frame. */
  nextFrame(): Promise<void>;
  undo(): boolean;
  redo(): boolean;
  /** The history view: the moment shown and the head of its timeline (null: closed). */
  history(): { seq: number; head: number; busy: boolean } | null;
  /** An element as the canvas draws it (a line's attached ends on their shapes). */
  drawn(id: string): Element | null;
  /** The ids the canvas paints, bottom to top (frames first). */
  painted(): string[];
  /** Makes these edits as the user would (one undoable action); false if one was refused. */
  apply(ops: OpBody[]): boolean;
  /** Whether nothing is left to send: no pending op and no attached line left to settle. */
  quiet(): boolean;
  /** The PNG export (render/export-png.ts) of a board box at `scale`, as a data: URL. */
  exportPng(minX: number, minY: number, maxX: number, maxY: number, scale: number): Promise<string>;
  /** The image cache: pictures shown, failed, bytes of decoded pixels held. */
  images(): { ready: number; failed: number; decodedBytes: number };
  /** The board rectangle on screen, [x0, y0, x1, y1]. */
  visible(): [number, number, number, number];
  /** Whom this page follows (a client id), or null. */
  following(): number | null;
  /** The slide shown while presenting (0-based) and how many there are, or null. */
  presenting(): { index: number; count: number } | null;
  /** Laser points still fading on this page, anyone's. */
  laserPoints(): number;
  /** The ids selected. */
  selection(): string[];
}

declare global {
  interface Window {
    __wb?: TestHook;
  }
}

/** The parts of a board page the hook reaches into. */
export interface BoardParts {
  board: string;
  model: Model;
  editor: Editor;
  viewport: Viewport;
  renderer: Renderer;
  conn: Connection;
  history: HistoryLoader;
  selection: Selection;
  setTool(name: ToolName): void;
  /** Whether the binding keeper has attached lines left to settle. */
  settling(): boolean;
  lasers: LaserTrails;
  follow: Follow;
  presentation: { readonly position: { index: number; count: number } | null };
}

/**
 * Goes offline or online the way a browser does when the network drops or returns:
 * `navigator.onLine` changes and the window hears `offline` or `online`. The connection's own
 * handlers do the rest, as they would for a real outage.
 */
function setNetwork(online: boolean): void {
  Object.defineProperty(navigator, "onLine", { configurable: true, get: () => online });
  window.dispatchEvent(new Event(online ? "online" : "offline"));
}

export function installTestHook(p: BoardParts): void {
  const { model, editor, viewport, renderer, conn, history } = p;
  window.__wb = {
    board: p.board,
    elements: () => model.elements(),
    confirmed: () => model.confirmedElements(),
    pending: () => model.pendingCount,
    status: () => conn.status.kind,
    seq: () => model.seq,
    me: () => conn.me,
    viewport: () => ({ x: viewport.x, y: viewport.y, zoom: viewport.zoom }),
    setViewport: (x, y, zoom) => viewport.set(x, y, zoom),
    setOffline: (offline) => setNetwork(!offline),
    setTool: (name) => p.setTool(name),
    frameStats: () => ({ ...renderer.stats }),
    nextFrame: () => renderer.whenPainted(),
    undo: () => editor.undo(),
    redo: () => editor.redo(),
    history: () => history.position,
    drawn: (id) => {
      renderer.sync();
      return renderer.index.get(id)?.el ?? null;
    },
    painted: () => {
      renderer.sync();
      const all = { minX: -1e8, minY: -1e8, maxX: 1e8, maxY: 1e8 };
      return renderer.index.visible(all).map((e) => e.id);
    },
    quiet: () => model.pendingCount === 0 && !p.settling(),
    apply: (ops) => {
      editor.begin();
      const ok = ops.every((op) => editor.do(op));
      editor.end();
      return ok;
    },
    exportPng: async (minX, minY, maxX, maxY, scale) => {
      renderer.sync();
      const png = await renderPng(renderer.index, { minX, minY, maxX, maxY }, scale);
      return await new Promise<string>((resolve) => {
        const r = new FileReader();
        r.onload = () => resolve(r.result as string);
        r.readAsDataURL(png);
      });
    },
    images: () => renderer.images?.stats() ?? { ready: 0, failed: 0, decodedBytes: 0 },
    visible: () => {
      const b = viewport.visible();
      return [b.minX, b.minY, b.maxX, b.maxY];
    },
    following: () => p.follow.following?.id ?? null,
    presenting: () => p.presentation.position,
    laserPoints: () => p.lasers.size,
    selection: () => p.selection.list(),
  };
}
