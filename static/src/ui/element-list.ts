/**
 * The board's content for screen readers and keyboards: a list after the canvas and its
 * controls (Tab reaches it after them, Shift+Tab goes back to them), with one
 * button per element (its type, its text, who made it). Tab goes from element to element;
 * focusing one selects it on the canvas (the selection box is the visible focus) and brings it
 * into view, so arrow keys move it, Delete removes it, the style panel restyles it, and Enter
 * edits a text. The list is rebuilt at most a few times a second, never per op.
 */
import { t } from "../i18n/i18n";
import type { Model } from "../model/model";
import type { Element } from "../model/types";
import type { Renderer } from "../render/renderer";
import type { Viewport } from "../render/viewport";
import type { Selection } from "../tools/selection";
import { FIELDS } from "../model/validate";
import { h } from "./dom";

/** More than this many buttons would make Tab useless and the page heavy. */
const MAX_ITEMS = 500;
const REFRESH_MS = 300;

export interface ElementListDeps {
  model: Model;
  selection: Selection;
  renderer: Renderer;
  viewport: Viewport;
  /** Who made element `id`, as a phrase ("by Ada", "by you"), or null when unknown. */
  author(id: string): string | null;
  /** Enter on an element: edit it (a text), if it can be. */
  edit(id: string): void;
}

function labelOf(el: Element): string {
  const text = "text" in el && typeof el.text === "string" ? el.text : "";
  const name = "name" in el && typeof el.name === "string" ? el.name : "";
  const words = (text || name).replace(/\s+/g, " ").trim();
  return words.length > 80 ? `“${words.slice(0, 79)}…”` : words ? `“${words}”` : "";
}

export class ElementList {
  readonly el: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly more: HTMLParagraphElement;
  private readonly items = new Map<string, HTMLButtonElement>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private full = false;
  private readonly dirty = new Set<string>();

  constructor(
    parent: HTMLElement,
    private readonly d: ElementListDeps,
  ) {
    this.list = h("ul", { "data-testid": "element-list" });
    this.more = h("p", {});
    this.el = h("section", {
      class: "element-list visually-hidden",
      "aria-label": t("elements.label"),
      "data-testid": "elements",
    });
    // In a shadow root: what people typed is in the accessibility tree, as text, but never in
    // the page's own markup (document.body.innerHTML), which stays free of user text.
    this.el
      .attachShadow({ mode: "open" })
      .append(
        h("h2", { text: t("elements.label") }),
        h("p", { text: t("elements.hint") }),
        this.list,
        this.more,
      );
    parent.append(this.el);
    d.model.onChange((ids) => {
      // A stroke growing, a shape being dragged: only its own line changes, and only when
      // shown. Elements coming or going reorder the list: a full rebuild, throttled.
      if (ids !== null && [...ids].every((id) => this.items.has(id) && d.model.has(id))) {
        for (const id of ids) this.dirty.add(id);
        this.schedule();
      } else this.refreshSoon();
    });
    this.refresh();
  }

  /** Rebuilds the list soon (an author's name became known, elements came or went). */
  refreshSoon(): void {
    this.full = true;
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== null) return;
    // A huge board costs a walk of every element per rebuild: rebuild less often.
    const wait = this.d.model.size > 5000 ? REFRESH_MS * 6 : REFRESH_MS;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.full) this.refresh();
      else
        for (const id of this.dirty) {
          const el = this.d.model.get(id);
          const b = this.items.get(id);
          if (el && b) b.textContent = this.describe(el);
        }
      this.full = false;
      this.dirty.clear();
    }, wait);
  }

  private refresh(): void {
    const all: Element[] = [];
    this.d.model.forEach((e) => all.push(e));
    all.sort((a, b) => this.d.model.rank(a.id) - this.d.model.rank(b.id));
    const shown = all.slice(0, MAX_ITEMS);
    const keep = new Set(shown.map((e) => e.id));
    for (const [id, b] of this.items) {
      if (!keep.has(id)) {
        b.parentElement?.remove();
        this.items.delete(id);
      }
    }
    // Nodes are reused by id, so the one that has the focus keeps it across refreshes.
    let prev: HTMLLIElement | null = null;
    for (const el of shown) {
      let b = this.items.get(el.id);
      if (!b) {
        b = this.button(el.id);
        this.items.set(el.id, b);
      }
      const text = this.describe(el);
      if (b.textContent !== text) b.textContent = text;
      const li = b.parentElement as HTMLLIElement;
      const want: ChildNode | null = prev ? prev.nextSibling : this.list.firstChild;
      if (want !== li) this.list.insertBefore(li, want);
      prev = li;
    }
    this.more.textContent =
      all.length === 0
        ? t("elements.empty")
        : all.length > MAX_ITEMS
          ? t("elements.more", { count: all.length - MAX_ITEMS })
          : "";
  }

  private describe(el: Element): string {
    const type = t(`elements.types.${Object.hasOwn(FIELDS, el.type) ? el.type : "other"}`);
    const who = this.d.author(el.id);
    const main = t("elements.item", { type, label: labelOf(el) }).trim();
    return who ? `${main}, ${who}` : main;
  }

  private button(id: string): HTMLButtonElement {
    const b = h("button", { type: "button", "data-id": id });
    b.addEventListener("focus", () => {
      this.d.selection.set([id]);
      this.reveal(id);
    });
    b.addEventListener("click", () => this.d.edit(id));
    this.list.append(h("li", {}, b));
    return b;
  }

  /** Pans just enough to show element `id` whole, if it is out of view. */
  private reveal(id: string): void {
    const { renderer, viewport } = this.d;
    renderer.sync();
    const box = renderer.index.get(id);
    if (!box) return;
    const v = viewport.visible();
    if (box.minX >= v.minX && box.maxX <= v.maxX && box.minY >= v.minY && box.maxY <= v.maxY)
      return;
    const cx = (box.minX + box.maxX) / 2;
    const cy = (box.minY + box.maxY) / 2;
    viewport.set(
      cx - viewport.width / 2 / viewport.zoom,
      cy - viewport.height / 2 / viewport.zoom,
      viewport.zoom,
    );
  }
}
