/** The tool bar: one button per tool (with its shortcut in the tooltip), undo and redo. */
import type { Editor } from "../model/editor";
import type { ToolName } from "../tools/tool";
import { h, icon } from "./dom";
import { ICONS } from "./icons";

export const TOOL_KEYS: [ToolName, string, string][] = [
  ["select", "V", "Select"],
  ["hand", "H", "Hand (pan)"],
  ["pen", "P", "Pen"],
  ["line", "L", "Line"],
  ["arrow", "A", "Arrow"],
  ["rect", "R", "Rectangle"],
  ["ellipse", "O", "Ellipse"],
  ["text", "T", "Text"],
  ["note", "N", "Sticky note"],
  ["frame", "F", "Frame"],
  ["eraser", "E", "Eraser"],
];

export class Toolbar {
  private readonly buttons = new Map<ToolName, HTMLButtonElement>();

  private readonly history: HTMLButtonElement;

  constructor(
    parent: HTMLElement,
    onPick: (t: ToolName) => void,
    editor: Editor,
    onHistory: () => void,
  ) {
    const bar = h("div", { class: "toolbar panel", role: "toolbar", "aria-label": "Tools" });
    for (const [name, key, label] of TOOL_KEYS) {
      const b = h(
        "button",
        {
          class: "tool",
          type: "button",
          title: `${label} — ${key}`,
          "aria-label": label,
          "data-tool": name,
          "aria-pressed": "false",
        },
        icon(...ICONS[name]),
      );
      b.append(h("span", { class: "key", text: key }));
      b.addEventListener("click", () => onPick(name));
      this.buttons.set(name, b);
      bar.append(b);
    }
    bar.append(h("span", { class: "sep" }));
    const undo = h(
      "button",
      {
        class: "tool",
        type: "button",
        title: "Undo — Ctrl+Z",
        "aria-label": "Undo",
        "data-action": "undo",
      },
      icon(...ICONS.undo),
    );
    const redo = h(
      "button",
      {
        class: "tool",
        type: "button",
        title: "Redo — Ctrl+Shift+Z",
        "aria-label": "Redo",
        "data-action": "redo",
      },
      icon(...ICONS.redo),
    );
    undo.addEventListener("click", () => editor.undo());
    redo.addEventListener("click", () => editor.redo());
    const sync = (): void => {
      undo.disabled = !editor.canUndo;
      redo.disabled = !editor.canRedo;
    };
    editor.onHistoryChange(sync);
    sync();
    this.history = h(
      "button",
      {
        class: "tool",
        type: "button",
        title: "History — Ctrl+Shift+H",
        "aria-label": "History",
        "aria-pressed": "false",
        "data-action": "history",
      },
      icon(...ICONS.history),
    );
    this.history.addEventListener("click", onHistory);
    bar.append(undo, redo, this.history);
    parent.append(bar);
  }

  setHistoryOpen(open: boolean): void {
    this.history.setAttribute("aria-pressed", String(open));
  }

  setActive(tool: ToolName): void {
    for (const [name, b] of this.buttons) b.setAttribute("aria-pressed", String(name === tool));
  }
}
