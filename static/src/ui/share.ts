/**
 * Share: copies the board's link. A protected board has two: the view link (anyone can watch)
 * and the edit link (carries the key in its fragment); only someone who has the key can give
 * the edit link away.
 */
import { boardLinks } from "../util/board-key";
import { h } from "./dom";

export class ShareMenu {
  private readonly badge: HTMLSpanElement;

  constructor(
    parent: HTMLElement,
    board: string,
    key: string | null,
    toast: (text: string) => void,
  ) {
    const links = boardLinks(board, key);
    const copy = (text: string, what: string): void => {
      const ask = (): void => void window.prompt(`Copy the ${what.toLowerCase()}:`, text);
      // The clipboard API exists only in secure contexts (https, localhost): else show the link.
      if (!navigator.clipboard) {
        ask();
        return;
      }
      navigator.clipboard.writeText(text).then(() => toast(`${what} copied.`), ask);
    };
    const menu = h("div", { class: "share-menu panel", hidden: true });
    const item = (label: string, link: string, what: string): HTMLButtonElement => {
      const b = h("button", { type: "button", text: label });
      b.addEventListener("click", () => {
        copy(link, what);
        menu.hidden = true;
      });
      return b;
    };
    if (links.edit) {
      menu.append(
        item("Copy view link (watch only)", links.view, "View link"),
        item("Copy edit link (can draw)", links.edit, "Edit link"),
      );
    } else {
      menu.append(item("Copy link", links.view, "Link"));
    }
    const button = h("button", { class: "share-button", type: "button", text: "Share" });
    button.addEventListener("click", () => {
      menu.hidden = !menu.hidden;
    });
    document.addEventListener("pointerdown", (e) => {
      if (!menu.hidden && e.target instanceof Node && !root.contains(e.target)) menu.hidden = true;
    });
    this.badge = h("span", {
      class: "view-only",
      "data-testid": "view-only",
      hidden: true,
      text: "View only",
    });
    const root = h("div", { class: "share" }, this.badge, button, menu);
    parent.append(root);
  }

  /** Shows that this connection may only watch. */
  setReadOnly(readOnly: boolean): void {
    this.badge.hidden = !readOnly;
  }
}
