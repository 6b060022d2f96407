/**
 * People: a button with the number of people on the board, opening a list of them. Your own
 * entry is an input: renaming yourself reconnects, since the name travels in `hello`.
 */
import { formatNumber, t } from "../i18n/i18n";
import type { Peer } from "../model/types";
import { h, icon } from "./dom";
import { ICONS } from "./icons";
import { cleanName } from "./names";
import { PRESENTING_TEXT } from "./presenting-text";

/** Following and summoning, from the list (ui/follow.ts does the moving). */
export interface PeopleActions {
  follow(peer: Peer): void;
  summon(): void;
}

export class PeopleList {
  private readonly count: HTMLSpanElement;
  private readonly list: HTMLUListElement;
  private readonly popover: HTMLDivElement;
  private readonly nameInput: HTMLInputElement;
  private readonly myDot: HTMLSpanElement;
  /** The whole control: the phone layout moves it into the menu. */
  readonly el: HTMLElement;

  private readonly summon: HTMLButtonElement;
  private followed: number | null = null;
  private shown: readonly Peer[] = [];

  constructor(
    parent: HTMLElement,
    name: string,
    onRename: (name: string) => void,
    private readonly actions: PeopleActions | null = null,
  ) {
    this.count = h("span", {
      class: "count",
      "data-testid": "people-count",
      text: formatNumber(1),
    });
    const button = h(
      "button",
      {
        class: "people-button",
        type: "button",
        title: t("people.button"),
        "aria-expanded": "false",
      },
      icon(...ICONS.people),
      this.count,
      // Named by its count and what it counts (the count must be in the name, WCAG 2.5.3).
      h("span", { class: "visually-hidden", text: t("people.button") }),
    );
    this.nameInput = h("input", {
      class: "my-name",
      type: "text",
      maxlength: 40,
      "aria-label": t("people.yourName"),
      value: name,
    });
    this.myDot = h("span", { class: "dot" });
    this.list = h("ul", { class: "people-list", "data-testid": "people-list" });
    this.summon = h("button", {
      class: "summon",
      type: "button",
      "data-testid": "summon",
      title: PRESENTING_TEXT.summonTitle(),
      text: PRESENTING_TEXT.summonButton(),
      hidden: true,
    });
    this.summon.addEventListener("click", () => this.actions?.summon());
    this.popover = h(
      "div",
      { class: "people-popover panel", hidden: true },
      h(
        "label",
        { class: "me" },
        this.myDot,
        this.nameInput,
        h("span", { class: "you", text: t("people.you") }),
      ),
      this.list,
      this.summon,
    );
    button.addEventListener("click", () => {
      this.popover.hidden = !this.popover.hidden;
      button.setAttribute("aria-expanded", String(!this.popover.hidden));
    });
    const commit = (): void => {
      const clean = cleanName(this.nameInput.value);
      if (!clean) {
        this.nameInput.value = name;
        return;
      }
      if (clean === name) return;
      name = clean;
      this.nameInput.value = clean;
      onRename(clean);
    };
    this.nameInput.addEventListener("change", commit);
    this.nameInput.addEventListener("keydown", (e) => {
      if (e.key === "Enter") this.nameInput.blur();
      e.stopPropagation();
    });
    const root = h("div", { class: "people" }, button, this.popover);
    // A press anywhere else closes the list, like any popover.
    document.addEventListener("pointerdown", (e) => {
      if (!this.popover.hidden && e.target instanceof Node && !root.contains(e.target)) {
        this.popover.hidden = true;
        button.setAttribute("aria-expanded", "false");
      }
    });
    this.el = root;
    parent.append(root);
  }

  setMyColor(color: string): void {
    this.myDot.style.background = color;
  }

  show(peers: readonly Peer[]): void {
    this.shown = peers;
    this.count.textContent = formatNumber(peers.length + 1);
    this.summon.hidden = !this.actions || peers.length === 0;
    this.list.replaceChildren(
      ...peers.map((p) => {
        const dot = h("span", { class: "dot" });
        dot.style.background = p.color;
        const li = h("li", { "data-peer": p.id }, dot, h("span", { class: "name", text: p.name }));
        const actions = this.actions;
        if (actions) {
          // A person is a button: clicking follows their view.
          li.setAttribute("role", "button");
          li.setAttribute("tabindex", "0");
          li.setAttribute("title", PRESENTING_TEXT.followTitle(p.name));
          li.setAttribute("aria-pressed", String(this.followed === p.id));
          const go = (): void => actions.follow(p);
          li.addEventListener("click", go);
          li.addEventListener("keydown", (e) => {
            if (e.key === "Enter" || e.key === " ") go();
          });
        }
        return li;
      }),
    );
  }

  /** Marks whom we follow (null: nobody). */
  setFollowed(id: number | null): void {
    this.followed = id;
    this.show(this.shown);
  }

  /** Allows "Bring everyone here" (not for view-only connections: the server refuses it). */
  setCanSummon(can: boolean): void {
    this.summon.dataset["allowed"] = String(can);
    this.summon.disabled = !can;
  }
}
