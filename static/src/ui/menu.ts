/**
 * The board menu (the ☰ button): the board's name and a way back to all boards, settings
 * (appearance, language), the shortcuts, a command to add a shape without a pointer, and
 * "Present" (the frames as slides).
 * On a phone it also holds the people list and the share links (the top bar has no room for
 * them): `compact` moves those controls in and out as the screen changes.
 */
import { t } from "../i18n/i18n";
import { h, icon } from "./dom";
import { ICONS } from "./icons";
import { settingsControls } from "./settings";

/** Narrow or low screens (a phone either way round) get the compact layout (styles.css). */
export const COMPACT_QUERY = "(max-width: 720px), (max-height: 500px)";

export interface MenuActions {
  help(): void;
  addShape(): void;
  rename(): void;
  /** The frames as slides, full screen (present.ts). */
  present(): void;
}

export class BoardMenu {
  private readonly button: HTMLButtonElement;
  private readonly panel: HTMLElement;
  private readonly slot: HTMLElement;

  constructor(parent: HTMLElement, board: string, a: MenuActions) {
    this.button = h(
      "button",
      {
        class: "menu-button panel",
        type: "button",
        title: t("menu.open"),
        "aria-label": t("menu.open"),
        "aria-expanded": "false",
        "aria-controls": "board-menu",
        "data-testid": "menu",
      },
      icon(...ICONS.menu),
    );
    const item = (text: string, fn: () => void): HTMLButtonElement => {
      const b = h("button", { type: "button", class: "menu-item", text });
      b.addEventListener("click", () => {
        this.show(false);
        fn();
      });
      return b;
    };
    this.slot = h("div", { class: "menu-slot" });
    this.panel = h(
      "div",
      {
        class: "menu-panel panel",
        id: "board-menu",
        role: "group",
        "aria-label": t("menu.title"),
        hidden: true,
      },
      h("a", { class: "menu-board", href: "/", title: t("app.allBoards"), text: board }),
      this.slot,
      settingsControls(),
      item(t("menu.addShape"), a.addShape),
      item(t("menu.rename"), a.rename),
      item(t("presenting.present"), a.present),
      item(t("menu.shortcuts"), a.help),
    );
    this.button.addEventListener("click", () => this.show(this.panel.hidden));
    this.panel.addEventListener("keydown", (e) => {
      if (e.key !== "Escape") return;
      e.stopPropagation();
      this.show(false);
      this.button.focus();
    });
    const root = h("div", { class: "menu" }, this.button, this.panel);
    document.addEventListener("pointerdown", (e) => {
      if (!this.panel.hidden && e.target instanceof Node && !root.contains(e.target))
        this.show(false);
    });
    parent.append(root);
  }

  get open(): boolean {
    return !this.panel.hidden;
  }

  show(open: boolean): void {
    this.panel.hidden = !open;
    this.button.setAttribute("aria-expanded", String(open));
  }

  /**
   * Puts `controls` in the menu while the compact layout is on, and back in `home` (in their
   * order) when the screen widens again.
   */
  hostWhenCompact(home: HTMLElement, controls: readonly HTMLElement[]): void {
    const query = matchMedia(COMPACT_QUERY);
    const place = (): void => {
      const target = query.matches ? this.slot : home;
      for (const c of controls) target.append(c);
    };
    query.addEventListener("change", place);
    place();
  }
}
