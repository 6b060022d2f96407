/**
 * Pen mode (palm rejection): once a stylus has touched the board, fingers only pan and zoom, so
 * a palm resting on a tablet draws nothing. It turns itself on at the first stylus stroke; the
 * toggle (in the style panel) turns it off or on by hand, and the choice is remembered.
 */
import { t } from "../i18n/i18n";
import { load, save } from "../util/storage";
import { h } from "./dom";

const KEY = "wb.penMode";

export class PenMode {
  /** null: not decided yet (on at the first stylus); true/false: the user's choice. */
  private choice: boolean | null;
  private seen = false;
  readonly toggle: HTMLButtonElement;

  constructor(parent: HTMLElement) {
    const saved = load(KEY, null);
    this.choice = typeof saved === "boolean" ? saved : null;
    this.toggle = h("button", {
      class: "opt pen-mode",
      type: "button",
      "data-testid": "pen-mode",
      title: t("style.penModeTitle"),
      text: t("style.penMode"),
    });
    this.toggle.addEventListener("click", () => {
      this.choice = !this.on;
      save(KEY, this.choice);
      this.show();
    });
    parent.append(this.toggle);
    this.show();
  }

  /** Fingers pan instead of drawing. */
  get on(): boolean {
    return this.choice ?? this.seen;
  }

  /** A stylus touched the board. */
  stylus(): void {
    if (this.seen) return;
    this.seen = true;
    this.show();
  }

  private show(): void {
    this.toggle.setAttribute("aria-pressed", String(this.on));
  }
}
