/**
 * The tool bars: one button per tool (with its shortcut in the tooltip), and the actions
 * (undo, redo, history). Two bars side by side at the top on a wide screen; on a phone the
 * tools go to a bottom bar that scrolls and the actions stay at the top (styles.css), each
 * button at least 44 px. The style button opens the style sheet on a phone.
 */
import type { Editor } from "../model/editor";
import type { ToolName } from "../tools/tool";
import { t } from "../i18n/i18n";
import { h, icon } from "./dom";
import { ICONS } from "./icons";

export const TOOL_KEYS: [ToolName, string][] = [
  ["select", "V"],
  ["hand", "H"],
  ["pen", "P"],
  ["line", "L"],
  ["arrow", "A"],
  ["rect", "R"],
  ["ellipse", "O"],
  ["text", "T"],
  ["note", "N"],
  ["frame", "F"],
  ["eraser", "E"],
  ["laser", "K"],
];

export class Toolbar {
  private readonly buttons = new Map<ToolName, HTMLButtonElement>();
  private readonly history: HTMLButtonElement;
  private readonly styleButton: HTMLButtonElement;
  readonly tools: HTMLElement;

  constructor(
    parent: HTMLElement,
    onPick: (t: ToolName) => void,
    editor: Editor,
    onHistory: () => void,
    onStyle: () => void,
  ) {
    const bar = h("div", {
      class: "toolbar tools panel",
      role: "toolbar",
      "aria-label": t("tools.label"),
    });
    this.tools = bar;
    for (const [name, key] of TOOL_KEYS) {
      const label = t(`tools.${name}`);
      const b = h(
        "button",
        {
          class: "tool",
          type: "button",
          title: t("tools.withKey", { label, key }),
          "aria-label": label,
          "aria-keyshortcuts": key,
          "data-tool": name,
          "aria-pressed": "false",
        },
        icon(...ICONS[name]),
      );
      b.append(h("span", { class: "key", "aria-hidden": "true", text: key }));
      b.addEventListener("click", () => onPick(name));
      this.buttons.set(name, b);
      bar.append(b);
    }
    this.styleButton = h(
      "button",
      {
        class: "tool style-toggle",
        type: "button",
        title: t("tools.style"),
        "aria-label": t("tools.style"),
        "aria-expanded": "false",
        "data-action": "style",
      },
      icon(...ICONS.style),
    );
    this.styleButton.addEventListener("click", onStyle);
    bar.append(this.styleButton);

    const action = (name: string, label: string, keys: string, shortcut: string) =>
      h(
        "button",
        {
          class: "tool",
          type: "button",
          title: t("tools.withKey", { label, key: keys }),
          "aria-label": label,
          "aria-keyshortcuts": shortcut,
          "data-action": name,
        },
        icon(...ICONS[name as "undo"]),
      );
    const undo = action("undo", t("tools.undo"), "Ctrl+Z", "Control+Z");
    const redo = action("redo", t("tools.redo"), "Ctrl+Shift+Z", "Control+Shift+Z");
    this.history = action("history", t("tools.history"), "Ctrl+Shift+H", "Control+Shift+H");
    this.history.setAttribute("aria-pressed", "false");
    undo.addEventListener("click", () => editor.undo());
    redo.addEventListener("click", () => editor.redo());
    this.history.addEventListener("click", onHistory);
    const sync = (): void => {
      undo.disabled = !editor.canUndo;
      redo.disabled = !editor.canRedo;
    };
    editor.onHistoryChange(sync);
    sync();
    const actions = h(
      "div",
      { class: "toolbar actions panel", role: "toolbar", "aria-label": t("tools.actions") },
      undo,
      redo,
      this.history,
    );
    parent.append(h("div", { class: "bars" }, bar, actions));
  }

  /**
   * A button that does something once (not a tool), placed after the tools and before the style
   * button: in the tools bar, so on a phone it is in the bottom bar with the tools it goes with.
   */
  addAction(action: string, label: string, icn: readonly string[], onClick: () => void): void {
    const b = h(
      "button",
      { class: "tool", type: "button", title: label, "aria-label": label, "data-action": action },
      icon(...icn),
    );
    b.addEventListener("click", onClick);
    this.styleButton.before(b);
  }

  setHistoryOpen(open: boolean): void {
    this.history.setAttribute("aria-pressed", String(open));
  }

  setStyleOpen(open: boolean): void {
    this.styleButton.setAttribute("aria-expanded", String(open));
  }

  setActive(tool: ToolName): void {
    for (const [name, b] of this.buttons) b.setAttribute("aria-pressed", String(name === tool));
  }
}
