/**
 * The frames list: every frame of the board by name, in stacking order; choosing one shows it
 * whole (the viewport fits it). "Present" shows them as slides in the same order (present.ts).
 */
import type { Model } from "../model/model";
import type { FrameElement } from "../model/types";
import type { Viewport } from "../render/viewport";
import { t } from "../i18n/i18n";
import { h } from "./dom";

/** The board's frames in stacking order: the list's order and the slides'. */
export function framesInOrder(model: Model): FrameElement[] {
  const frames: FrameElement[] = [];
  model.forEach((e) => e.type === "frame" && frames.push(e));
  const key = (f: FrameElement): number => f.z ?? model.rank(f.id);
  frames.sort((a, b) => key(a) - key(b) || model.rank(a.id) - model.rank(b.id));
  return frames;
}

export class FramesPanel {
  private readonly panel: HTMLElement;
  private readonly list: HTMLElement;
  private queued = false;

  constructor(
    parent: HTMLElement,
    private readonly model: Model,
    private readonly viewport: Viewport,
    present: () => void,
  ) {
    this.list = h("ul", { class: "frames-list" });
    const start = h("button", {
      type: "button",
      class: "present",
      "data-testid": "present",
      text: t("presenting.present"),
      title: t("presenting.presentTitle"),
    });
    start.addEventListener("click", () => {
      this.panel.hidden = true;
      present();
    });
    this.panel = h(
      "div",
      { class: "frames panel", role: "dialog", "aria-label": t("frames.label"), hidden: true },
      h("div", { class: "frames-head" }, h("h2", { text: t("frames.label") }), start),
      this.list,
    );
    parent.append(this.panel);
    model.onChange(() => this.queue());
  }

  get open(): boolean {
    return !this.panel.hidden;
  }

  toggle(): void {
    this.panel.hidden = !this.panel.hidden;
    if (!this.panel.hidden) this.render();
  }

  /** Shows frame `id` whole. */
  jump(frame: FrameElement): void {
    this.viewport.fit({
      minX: frame.x,
      minY: frame.y,
      maxX: frame.x + frame.w,
      maxY: frame.y + frame.h,
    });
  }

  private queue(): void {
    if (this.queued || this.panel.hidden) return;
    this.queued = true;
    requestAnimationFrame(() => {
      this.queued = false;
      this.render();
    });
  }

  private render(): void {
    const frames = framesInOrder(this.model);
    if (frames.length === 0) {
      this.list.replaceChildren(h("li", { class: "empty", text: t("frames.empty") }));
      return;
    }
    this.list.replaceChildren(
      ...frames.map((f) => {
        const b = h("button", { type: "button", "data-frame": f.id, text: f.name });
        b.addEventListener("click", () => this.jump(f));
        return h("li", {}, b);
      }),
    );
  }
}
