/**
 * Presentation mode: the board's frames as slides, one at a time, full screen.
 *
 * A slide is only a viewport: the frame fitted to the screen. Nothing new goes on the wire:
 * the viewport change is reported as the ordinary `view` (app.ts), so everyone who follows the
 * presenter lands on the same slide, and a late joiner who follows catches up on the next one.
 *
 * The keys are the ones clickers send (PageDown/PageUp) besides the arrows and space; they are
 * taken before the board's shortcuts see them (capture phase), so an arrow changes the slide
 * instead of panning. On a phone the bar's buttons are the way through.
 */
import type { Model } from "../model/model";
import type { FrameElement } from "../model/types";
import { MAX_ZOOM, MIN_ZOOM, type Viewport } from "../render/viewport";
import { t } from "../i18n/i18n";
import { typing } from "../util/focus";
import { h } from "./dom";
import { framesInOrder } from "./frames-panel";

/** Screen pixels kept clear around a slide, so its border shows. */
const MARGIN = 24;
const NEXT = new Set(["ArrowRight", "ArrowDown", "PageDown", " ", "Enter", "n"]);
const PREVIOUS = new Set(["ArrowLeft", "ArrowUp", "PageUp", "Backspace", "p"]);

export interface PresentHooks {
  /** Presenting started (true) or stopped: the page hides or shows its tools. */
  toggled(on: boolean): void;
  toast(text: string): void;
}

export class Presentation {
  private readonly bar: HTMLElement;
  private readonly label: HTMLElement;
  private readonly prev: HTMLButtonElement;
  private readonly next: HTMLButtonElement;
  private slides: FrameElement[] = [];
  private index = 0;
  /** The screen size the slide was fitted to: a resize (full screen, rotation) fits again. */
  private fittedTo = "";
  private fullscreen = false;

  constructor(
    parent: HTMLElement,
    private readonly model: Model,
    private readonly viewport: Viewport,
    private readonly hooks: PresentHooks,
  ) {
    const button = (cls: string, text: string, title: string): HTMLButtonElement =>
      h("button", { type: "button", class: cls, text, title, "aria-label": title });
    this.prev = button("present-prev", "‹", t("presenting.previous"));
    this.next = button("present-next", "›", t("presenting.next"));
    const stop = button("present-stop", "✕", t("presenting.stop"));
    this.label = h("span", { class: "present-label", "data-testid": "present-label" });
    this.bar = h(
      "div",
      {
        class: "present-bar panel",
        role: "toolbar",
        "aria-label": t("presenting.present"),
        "data-testid": "present-bar",
        hidden: true,
      },
      this.prev,
      h("span", { role: "status", "aria-live": "polite" }, this.label),
      this.next,
      stop,
    );
    this.prev.addEventListener("click", () => this.go(this.index - 1));
    this.next.addEventListener("click", () => this.go(this.index + 1));
    stop.addEventListener("click", () => this.stop());
    parent.append(this.bar);
    window.addEventListener("keydown", (e) => this.key(e), { capture: true });
    viewport.onChange(() => {
      if (this.active && this.fittedTo !== this.size()) this.show();
    });
    document.addEventListener("fullscreenchange", () => {
      // Leaving full screen by the browser's own Esc ends the presentation too.
      if (this.fullscreen && !document.fullscreenElement) this.stop();
    });
    model.onChange(() => {
      if (this.active) this.refresh();
    });
  }

  get active(): boolean {
    return !this.bar.hidden;
  }

  /** Test hook and status: the slide shown (0-based) and how many there are. */
  get position(): { index: number; count: number } | null {
    return this.active ? { index: this.index, count: this.slides.length } : null;
  }

  start(): void {
    this.slides = framesInOrder(this.model);
    if (this.slides.length === 0) {
      this.hooks.toast(t("presenting.noFrames"));
      return;
    }
    this.index = 0;
    this.bar.hidden = false;
    this.hooks.toggled(true);
    const el = document.documentElement;
    if (!document.fullscreenElement && el.requestFullscreen) {
      el.requestFullscreen().then(
        () => {
          this.fullscreen = true;
        },
        () => {}, // refused (no user gesture, an iframe without allowfullscreen): in the page
      );
    }
    this.show();
    this.next.focus();
  }

  stop(): void {
    if (!this.active) return;
    this.bar.hidden = true;
    this.hooks.toggled(false);
    if (this.fullscreen && document.fullscreenElement) void document.exitFullscreen();
    this.fullscreen = false;
  }

  go(i: number): void {
    this.index = Math.max(0, Math.min(this.slides.length - 1, i));
    this.show();
  }

  private key(e: KeyboardEvent): void {
    if (!this.active || typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
    // A focused button takes Enter and space itself (it is how the bar's buttons work).
    if ((e.key === "Enter" || e.key === " ") && e.target instanceof HTMLButtonElement) return;
    let handled = true;
    if (NEXT.has(e.key)) this.go(this.index + 1);
    else if (PREVIOUS.has(e.key)) this.go(this.index - 1);
    else if (e.key === "Home") this.go(0);
    else if (e.key === "End") this.go(this.slides.length - 1);
    else if (e.key === "Escape") this.stop();
    else handled = false;
    if (handled) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }

  /** Frames were added, moved, renamed or deleted while presenting: keep the slide shown. */
  private refresh(): void {
    const shown = this.slides[this.index]?.id;
    this.slides = framesInOrder(this.model);
    if (this.slides.length === 0) {
      this.stop();
      return;
    }
    const at = this.slides.findIndex((f) => f.id === shown);
    this.index = at >= 0 ? at : Math.min(this.index, this.slides.length - 1);
    const f = this.slides[this.index] as FrameElement;
    const vp = this.viewport;
    const p = this.pose(f);
    // The slide's frame moved or changed size (someone edits it): fit it again.
    const fits =
      this.fittedTo === this.size() && p.zoom === vp.zoom && p.x === vp.x && p.y === vp.y;
    if (!fits) this.show();
    else this.showLabel();
  }

  private size(): string {
    return `${this.viewport.width}x${this.viewport.height}`;
  }

  /** The viewport that shows frame `f` as large as the screen allows, centred. */
  private pose(f: FrameElement): { x: number; y: number; zoom: number } {
    const v = this.viewport;
    const w = Math.max(1, v.width - 2 * MARGIN);
    const hgt = Math.max(1, v.height - 2 * MARGIN);
    const zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, Math.min(w / f.w, hgt / f.h)));
    return {
      zoom,
      x: f.x + f.w / 2 - v.width / 2 / zoom,
      y: f.y + f.h / 2 - v.height / 2 / zoom,
    };
  }

  private show(): void {
    const f = this.slides[this.index];
    if (!f) return;
    this.fittedTo = this.size();
    const p = this.pose(f);
    this.viewport.set(p.x, p.y, p.zoom);
    this.showLabel();
  }

  private showLabel(): void {
    const f = this.slides[this.index];
    if (!f) return;
    this.label.textContent = t("presenting.slide", {
      n: this.index + 1,
      total: this.slides.length,
      name: f.name,
    });
    this.prev.disabled = this.index === 0;
    this.next.disabled = this.index === this.slides.length - 1;
  }
}
