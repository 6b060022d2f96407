/**
 * Share: copies the board's link. A protected board has two: the view link (anyone can watch)
 * and the edit link (carries the key in its fragment); only someone who has the key can give
 * the edit link away.
 */
import { t } from "../i18n/i18n";
import { boardLinks } from "../util/board-key";
import { h } from "./dom";

export class ShareMenu {
  private readonly badge: HTMLSpanElement;
  /** The whole control: the phone layout moves it into the menu. */
  readonly el: HTMLElement;

  constructor(
    parent: HTMLElement,
    board: string,
    key: string | null,
    toast: (text: string) => void,
  ) {
    const links = boardLinks(board, key);
    /** `which`: "View", "Edit" or "Link", naming the sentences of share.* to use. */
    const copy = (text: string, which: string): void => {
      const ask = (): void => void window.prompt(t(`share.ask${which}`), text);
      // The clipboard API exists only in secure contexts (https, localhost): else show the link.
      if (!navigator.clipboard) {
        ask();
        return;
      }
      navigator.clipboard.writeText(text).then(() => toast(t(`share.copied${which}`)), ask);
    };
    const menu = h("div", { class: "share-menu panel", hidden: true });
    const item = (label: string, link: string, what: string): HTMLButtonElement => {
      const b = h("button", { type: "button", text: label });
      b.addEventListener("click", () => {
        copy(link, what);
        show(false);
      });
      return b;
    };
    if (links.edit) {
      menu.append(
        item(t("share.copyView"), links.view, "View"),
        item(t("share.copyEdit"), links.edit, "Edit"),
      );
    } else {
      menu.append(item(t("share.copyLink"), links.view, "Link"));
    }
    const button = h("button", {
      class: "share-button",
      type: "button",
      "aria-expanded": "false",
      "aria-controls": "share-menu",
      text: t("share.button"),
    });
    menu.id = "share-menu";
    const show = (open: boolean): void => {
      menu.hidden = !open;
      button.setAttribute("aria-expanded", String(open));
    };
    button.addEventListener("click", () => {
      show(menu.hidden);
      if (!menu.hidden) menu.querySelector("button")?.focus();
    });
    menu.addEventListener("keydown", (e) => {
      if (e.key !== "Escape") return;
      e.stopPropagation();
      show(false);
      button.focus();
    });
    document.addEventListener("pointerdown", (e) => {
      if (!menu.hidden && e.target instanceof Node && !root.contains(e.target)) show(false);
    });
    this.badge = h("span", {
      class: "view-only",
      "data-testid": "view-only",
      hidden: true,
      text: t("share.viewOnly"),
    });
    const root = h("div", { class: "share" }, this.badge, button, menu);
    this.el = root;
    parent.append(root);
  }

  /** Shows that this connection may only watch. */
  setReadOnly(readOnly: boolean): void {
    this.badge.hidden = !readOnly;
  }
}
