/**
 * Others' cursors: a coloured pointer with the person's name, placed at their board position
 * and kept there as the local view pans and zooms. Names go in through textContent.
 */
import type { Peer } from "../model/types";
import type { Viewport } from "../render/viewport";
import { h } from "./dom";

interface Cursor {
  el: HTMLDivElement;
  label: HTMLSpanElement;
  x: number | null;
  y: number | null;
}

const SVG_NS = "http://www.w3.org/2000/svg";

function pointer(color: string): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("width", "16");
  svg.setAttribute("height", "16");
  const p = document.createElementNS(SVG_NS, "path");
  p.setAttribute("d", "M1 1l5 14 2-6 6-2z");
  p.setAttribute("fill", color);
  p.setAttribute("stroke", "#ffffff");
  svg.append(p);
  return svg;
}

export class CursorLayer {
  private readonly layer = h("div", { class: "cursors", "aria-hidden": "true" });
  private readonly cursors = new Map<number, Cursor>();

  constructor(
    parent: HTMLElement,
    private readonly viewport: Viewport,
  ) {
    parent.append(this.layer);
    viewport.onChange(() => {
      for (const c of this.cursors.values()) this.place(c);
    });
  }

  /** Keeps one cursor per peer; peers that left lose theirs. */
  setPeers(peers: readonly Peer[]): void {
    const ids = new Set(peers.map((p) => p.id));
    for (const [id, c] of this.cursors) {
      if (!ids.has(id)) {
        c.el.remove();
        this.cursors.delete(id);
      }
    }
    for (const p of peers) {
      const c = this.cursors.get(p.id);
      if (c) {
        c.label.textContent = p.name;
        continue;
      }
      const label = h("span", { class: "cursor-name", text: p.name });
      label.style.background = p.color;
      const el = h("div", { class: "cursor", hidden: true }, pointer(p.color), label);
      this.layer.append(el);
      this.cursors.set(p.id, { el, label, x: null, y: null });
    }
  }

  move(id: number, x: number | null, y: number | null): void {
    const c = this.cursors.get(id);
    if (!c) return;
    c.x = x;
    c.y = y;
    this.place(c);
  }

  private place(c: Cursor): void {
    if (c.x === null || c.y === null) {
      c.el.hidden = true;
      return;
    }
    const s = this.viewport.toScreen(c.x, c.y);
    c.el.hidden = false;
    c.el.style.transform = `translate(${s.x}px, ${s.y}px)`;
  }
}
