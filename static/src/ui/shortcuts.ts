/**
 * Keyboard shortcuts, Excalidraw's where it has one (see the help dialog for the list). Keys
 * typed into inputs (the name field, the text box) are theirs, not ours.
 */
import type { ToolName } from "../tools/tool";
import { typing } from "../util/focus";

export interface ShortcutActions {
  setTool(t: ToolName): void;
  undo(): void;
  redo(): void;
  deleteSelection(): void;
  duplicate(): void;
  selectAll(): void;
  escape(): void;
  nudge(dx: number, dy: number): void;
  zoomIn(): void;
  zoomOut(): void;
  zoomReset(): void;
  zoomFit(): void;
  help(): void;
  /** Opens or closes the history panel (Ctrl+Shift+H). */
  history(): void;
  /** Locks the selection, or unlocks it when all of it is locked (Ctrl+Shift+L). */
  lock(): void;
  /** Ctrl+] and Ctrl+[ one step, with Shift to the front or back. */
  restack(how: "front" | "forward" | "backward" | "back"): void;
  space(down: boolean): void;
  /** Enter outside any control: add a shape in the middle (keyboard drawing); true if it did. */
  enter(): boolean;
}

const TOOL_BY_KEY: Record<string, ToolName> = {
  v: "select",
  "1": "select",
  h: "hand",
  p: "pen",
  l: "line",
  a: "arrow",
  r: "rect",
  o: "ellipse",
  t: "text",
  n: "note",
  f: "frame",
  e: "eraser",
  k: "laser",
};

/** The keyboard focus is on the page itself, not on a control that takes Enter. */
const onPage = (t: EventTarget | null): boolean =>
  t === document.body || t === document.documentElement || t instanceof HTMLCanvasElement;

export function installShortcuts(a: ShortcutActions): void {
  window.addEventListener("keydown", (e) => {
    if (typing(e.target)) return;
    const mod = e.ctrlKey || e.metaKey;
    const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    let handled = true;
    if (mod && e.shiftKey && key === "h") a.history();
    else if (mod && e.shiftKey && key === "l") a.lock();
    else if (mod && e.code === "BracketRight") a.restack(e.shiftKey ? "front" : "forward");
    else if (mod && e.code === "BracketLeft") a.restack(e.shiftKey ? "back" : "backward");
    else if (mod && key === "z") {
      if (e.shiftKey) a.redo();
      else a.undo();
    } else if (mod && key === "y") a.redo();
    else if (mod && key === "d") a.duplicate();
    else if (mod && key === "a") a.selectAll();
    else if (mod && key === "0") a.zoomReset();
    else if (mod && (key === "=" || key === "+")) a.zoomIn();
    else if (mod && key === "-") a.zoomOut();
    else if (mod || e.altKey) handled = false;
    else if (e.code === "Space") {
      if (!e.repeat) a.space(true);
    } else if (key === "Delete" || key === "Backspace") a.deleteSelection();
    else if (key === "Escape") a.escape();
    else if (key === "Enter" && !e.shiftKey && onPage(e.target)) handled = a.enter();
    else if (key === "?") a.help();
    else if (e.shiftKey && (e.code === "Digit1" || key === "!")) a.zoomFit();
    else if (e.shiftKey && (e.code === "Digit0" || key === ")")) a.zoomReset();
    else if (key === "+" || key === "=") a.zoomIn();
    else if (key === "-" || key === "_") a.zoomOut();
    else if (key.startsWith("Arrow")) {
      const step = e.shiftKey ? 10 : 1;
      const d = {
        ArrowLeft: [-step, 0],
        ArrowRight: [step, 0],
        ArrowUp: [0, -step],
        ArrowDown: [0, step],
      }[key] ?? [0, 0];
      a.nudge(d[0] as number, d[1] as number);
    } else if (!e.shiftKey && TOOL_BY_KEY[key]) a.setTool(TOOL_BY_KEY[key] as ToolName);
    else handled = false;
    if (handled) e.preventDefault();
  });
  window.addEventListener("keyup", (e) => {
    if (e.code === "Space") a.space(false);
  });
  window.addEventListener("blur", () => a.space(false));
}
