/** Short messages at the bottom of the screen (refusals, copy confirmations). */
import { h } from "./dom";

export class Toasts {
  private readonly root = h("div", { class: "toasts", role: "status", "aria-live": "polite" });
  private last = "";
  private lastAt = 0;

  constructor(parent: HTMLElement) {
    parent.append(this.root);
  }

  show(text: string, ms = 4000): void {
    // A burst of refusals (every append of a refused stroke) is one message, not twenty.
    const now = performance.now();
    if (text === this.last && now - this.lastAt < 2000) return;
    this.last = text;
    this.lastAt = now;
    const t = h("div", { class: "toast", text });
    this.root.append(t);
    setTimeout(() => t.remove(), ms);
  }
}
