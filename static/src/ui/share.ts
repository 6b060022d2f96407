/**
 * Share: copies the board's link. A protected board has two: the view link (anyone can watch)
 * and the edit link (carries the key in its fragment); only someone who has the key can give
 * the edit link away. With sign-in, the owner also gets the Share dialog (`access.ts`).
 */
import { t } from "../i18n/i18n";
import { boardLinks } from "../util/board-key";
import { h } from "./dom";

export class ShareMenu {
  private readonly badge: HTMLSpanElement;
  private readonly menu: HTMLDivElement;
  private manage: (() => void) | null = null;
  /** The whole control: the phone layout moves it into the menu. */
  readonly el: HTMLElement;

  constructor(
    parent: HTMLElement,
    private readonly board: string,
    private key: string | null,
    private readonly toast: (text: string) => void,
  ) {
    const menu = h("div", { class: "share-menu panel", hidden: true });
    this.menu = menu;
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
    this.show = show;
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
    this.render();
    parent.append(root);
  }

  private readonly show: (open: boolean) => void;

  /** The menu's items for the links this browser holds (and the owner's dialog). */
  private render(): void {
    const links = boardLinks(this.board, this.key);
    /** `which`: "View", "Edit" or "Link", naming the sentences of share.* to use. */
    const copy = (text: string, which: string): void => {
      const ask = (): void => void window.prompt(t(`share.ask${which}`), text);
      // The clipboard API exists only in secure contexts (https, localhost): else show the link.
      if (!navigator.clipboard) {
        ask();
        return;
      }
      navigator.clipboard.writeText(text).then(() => this.toast(t(`share.copied${which}`)), ask);
    };
    const item = (label: string, act: () => void): HTMLButtonElement => {
      const b = h("button", { type: "button", text: label });
      b.addEventListener("click", () => {
        act();
        this.show(false);
      });
      return b;
    };
    const edit = links.edit;
    const items = edit
      ? [
          item(t("share.copyView"), () => copy(links.view, "View")),
          item(t("share.copyEdit"), () => copy(edit, "Edit")),
        ]
      : [item(t("share.copyLink"), () => copy(links.view, "Link"))];
    const manage = this.manage;
    if (manage) items.push(item(t("access.manage"), manage));
    this.menu.replaceChildren(...items);
  }

  /** A replaced edit link: the old one no longer works, so it is no longer offered. */
  setKey(key: string): void {
    this.key = key;
    this.render();
  }

  /** The owner's entry to the Share dialog (sign-in on, owned board). */
  setManage(open: () => void): void {
    this.manage = open;
    this.render();
  }

  /** Shows that this connection may only watch. */
  setReadOnly(readOnly: boolean): void {
    this.badge.hidden = !readOnly;
  }
}
