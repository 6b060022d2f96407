/**
 * What every tool is: a small state machine fed with pointer events (down, move, up, cancel)
 * that turns them into ops through the Editor. Tools never see the socket or the DOM events;
 * input.ts translates Pointer Events (mouse, touch and stylus alike) into ToolPointer.
 */
import type { Editor } from "../model/editor";
import type { Model } from "../model/model";
import type { Renderer } from "../render/renderer";
import type { Point, Viewport } from "../render/viewport";
import type { Selection } from "./selection";
import type { StyleState } from "./style";

export type ToolName =
  | "select"
  | "hand"
  | "pen"
  | "line"
  | "arrow"
  | "rect"
  | "ellipse"
  | "text"
  | "eraser"
  | "note"
  | "frame"
  | "laser";

export interface Sample {
  board: Point;
  /** 0..1 from the device, or null when it reports none (mouse). */
  pressure: number | null;
}

export interface ToolPointer {
  board: Point;
  screen: Point;
  /** Every position since the last event (coalesced events), for smooth ink. */
  samples: Sample[];
  pressure: number | null;
  shift: boolean;
  alt: boolean;
  /** Ctrl or Cmd. */
  mod: boolean;
}

/** Where and how the in-place text box opens. */
export interface TextPromptOptions {
  x: number;
  y: number;
  size: number;
  color: string;
  text: string;
  hideId?: string;
  /** Typing inside a box (a note, a shape's label): centred, wrapped to its width. */
  box?: { w: number; h: number };
  /** The font size for what is typed so far, when it follows the text (a fitted note). */
  fit?: (text: string) => number;
  /** Hides only this element's text while it is typed over (a note, a label). */
  hideTextOf?: string;
}

/** Opens the in-place text box; resolves with the text, or null if cancelled/emptied. */
export interface TextPrompt {
  open(opts: TextPromptOptions): Promise<string | null>;
  readonly active: boolean;
  /** Commits what is being typed now (another tool was picked, the pointer went elsewhere). */
  commit(): void;
}

export interface ToolContext {
  model: Model;
  editor: Editor;
  viewport: Viewport;
  renderer: Renderer;
  selection: Selection;
  style: StyleState;
  text: TextPrompt;
  newId(): string;
  setTool(name: ToolName): void;
  /** A laser point at board (x, y): drawn and sent, never stored (tools/laser.ts). */
  laser?(x: number, y: number): void;
}

export interface Tool {
  /** "replay": the pointer of the history view (replay/replay-tool.ts), not a drawing tool. */
  readonly name: ToolName | "replay";
  /** CSS cursor over the board. */
  readonly cursor: string;
  down(p: ToolPointer): void;
  move(p: ToolPointer): void;
  up(p: ToolPointer): void;
  /** The gesture was interrupted (pointercancel, Escape, tool change): keep what was done. */
  cancel(): void;
  /** Pointer moving with no button pressed. */
  hover?(p: ToolPointer): void;
  doubleClick?(p: ToolPointer): void;
  /** The cursor for this position when it differs from `cursor` (e.g. over a resize handle). */
  cursorAt?(p: ToolPointer): string;
  paintOverlay?(ctx: CanvasRenderingContext2D): void;
  deactivate?(): void;
}

/** Slack for hit tests: a few screen pixels, whatever the zoom. */
export const tolerance = (vp: Viewport, px = 6): number => px / vp.zoom;
