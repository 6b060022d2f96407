/** The "who drew this" label that follows the pointer over an element in the history view. */
import { h } from "../ui/dom";

export class AuthorTip {
  private readonly dot = h("span", { class: "dot" });
  private readonly name = h("span", { class: "name" });
  private readonly el = h(
    "div",
    { class: "author-tip", role: "tooltip", "data-testid": "author-tip", hidden: true },
    this.dot,
    this.name,
  );

  constructor(parent: HTMLElement) {
    parent.append(this.el);
    parent.addEventListener("pointerleave", () => this.hide());
  }

  /** Shows `text` (a name, set as text) next to screen point (x, y) of the board. */
  show(x: number, y: number, text: string, color: string): void {
    this.name.textContent = text;
    this.dot.style.background = color;
    this.el.style.transform = `translate(${Math.round(x + 14)}px, ${Math.round(y + 16)}px)`;
    this.el.hidden = false;
  }

  hide(): void {
    this.el.hidden = true;
  }
}
