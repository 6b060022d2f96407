/**
 * The timeline of the history panel: the board's whole life from the first op to the head.
 *
 * The axis is the sequence of changes, not the clock: a board used for an hour a week ago and
 * an hour today would otherwise be a thin line at each end of a long empty bar. The clock shows
 * in the time labels under the bar, and pauses of more than a few minutes are marked where a
 * session started. Each column is tinted with the colour of whoever made most of its changes;
 * parts of the log not loaded yet are grey. Drag, click or use the arrow keys to seek.
 */
import { t } from "../i18n/i18n";
import { h } from "../ui/dom";
import type { Landmark } from "./sessions";
import { shortTime } from "./sessions";

/** What the timeline reads about the log. */
export interface TimelineData {
  readonly head: number;
  ts(seq: number): number | undefined;
  by(seq: number): number | undefined;
  colorOf(by: number): string;
  /** Whether op `seq`'s author is one the view focuses on (the author filter). */
  focused(by: number): boolean;
  readonly landmarks: readonly Landmark[];
}

const LABELS = [0, 0.25, 0.5, 0.75, 1];
const REDRAW_MS = 200;
const MAX_MARKS = 120;

export class Timeline {
  readonly el: HTMLElement;
  private readonly track: HTMLDivElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly playhead: HTMLDivElement;
  private readonly marks: HTMLDivElement;
  private readonly labels: HTMLDivElement;
  private data: TimelineData | null = null;
  private head = 0;
  private value = 0;
  private dragging = false;
  private redrawAt = 0;
  private redrawQueued = false;
  private markCount = -1;
  private markHead = -1;

  constructor(
    /** The user picked a moment (dragging calls it on every move). */
    private readonly onSeek: (seq: number) => void,
    /** The user took hold of the timeline (playback pauses). */
    private readonly onGrab: () => void,
  ) {
    this.canvas = h("canvas", { class: "timeline-bars" });
    this.playhead = h("div", { class: "playhead" });
    this.marks = h("div", { class: "marks" });
    this.track = h(
      "div",
      {
        class: "track",
        role: "slider",
        tabindex: 0,
        "aria-label": t("history.timeline"),
        "aria-valuemin": 0,
        "aria-valuemax": 0,
        "aria-valuenow": 0,
        "data-testid": "timeline",
      },
      this.canvas,
      this.marks,
      this.playhead,
    );
    this.labels = h("div", { class: "time-labels", "aria-hidden": "true" });
    this.el = h("div", { class: "timeline" }, this.track, this.labels);
    this.track.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      e.preventDefault();
      this.track.focus();
      this.track.setPointerCapture(e.pointerId);
      this.dragging = true;
      this.onGrab();
      this.seekAt(e.clientX);
    });
    this.track.addEventListener("pointermove", (e) => {
      if (this.dragging) this.seekAt(e.clientX);
    });
    const release = (): void => {
      this.dragging = false;
    };
    this.track.addEventListener("pointerup", release);
    this.track.addEventListener("pointercancel", release);
    this.track.addEventListener("keydown", (e) => this.key(e));
    new ResizeObserver(() => this.invalidate()).observe(this.track);
  }

  /** Shows the moment `value` of a log of `data.head` ops; cheap, call on every change. */
  update(data: TimelineData, value: number, valueText: string): void {
    this.data = data;
    if (data.head !== this.head) this.invalidate();
    this.head = data.head;
    this.value = value;
    const pct = this.head > 0 ? (value / this.head) * 100 : 100;
    this.playhead.style.left = `${pct}%`;
    this.track.setAttribute("aria-valuemax", String(this.head));
    this.track.setAttribute("aria-valuenow", String(value));
    this.track.setAttribute("aria-valuetext", valueText);
  }

  /** The log or the focus changed: redraw the bars (throttled: a long log streams in pages). */
  invalidate(): void {
    if (this.redrawQueued) return;
    this.redrawQueued = true;
    const wait = Math.max(0, this.redrawAt + REDRAW_MS - performance.now());
    setTimeout(() => {
      this.redrawQueued = false;
      this.redrawAt = performance.now();
      this.draw();
    }, wait);
  }

  private seekAt(clientX: number): void {
    const r = this.track.getBoundingClientRect();
    const f = Math.min(1, Math.max(0, (clientX - r.left) / Math.max(1, r.width)));
    this.onSeek(Math.round(f * this.head));
  }

  private key(e: KeyboardEvent): void {
    const big = Math.max(1, Math.round(this.head / 10));
    const to: Record<string, number> = {
      ArrowLeft: this.value - 1,
      ArrowDown: this.value - 1,
      ArrowRight: this.value + 1,
      ArrowUp: this.value + 1,
      PageDown: this.value - big,
      PageUp: this.value + big,
      Home: 0,
      End: this.head,
    };
    const next = to[e.key];
    if (next === undefined) return;
    // The board's own shortcuts (arrows nudge, Home...) must not also see it.
    e.preventDefault();
    e.stopPropagation();
    this.onGrab();
    this.onSeek(Math.max(0, Math.min(this.head, next)));
  }

  private draw(): void {
    const data = this.data;
    if (!data) return;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(this.track.clientWidth * dpr));
    const hgt = Math.max(1, Math.round(this.track.clientHeight * dpr));
    if (this.canvas.width !== w || this.canvas.height !== hgt) {
      this.canvas.width = w;
      this.canvas.height = hgt;
    }
    const ctx = this.canvas.getContext("2d");
    if (!ctx) return;
    ctx.clearRect(0, 0, w, hgt);
    const head = data.head;
    if (head > 0) this.drawBars(ctx, data, w, hgt);
    this.drawMarks(data);
    this.drawLabels(data);
  }

  /** One bar per column, in the colour of the author of most of its ops. */
  private drawBars(
    ctx: CanvasRenderingContext2D,
    data: TimelineData,
    w: number,
    hgt: number,
  ): void {
    const head = data.head;
    const counts = new Map<number, number>();
    let col = 0;
    let focused = false;
    let unknown = false;
    const flush = (upto: number): void => {
      const x0 = Math.floor((col * w) / Math.min(w, head));
      const x1 = Math.max(x0 + 1, Math.floor(((col + 1) * w) / Math.min(w, head)));
      let best = -1;
      let most = 0;
      for (const [by, n] of counts) if (n > most) [best, most] = [by, n];
      ctx.globalAlpha = unknown ? 1 : focused ? 0.9 : 0.35;
      ctx.fillStyle = unknown || best < 0 ? "#e9ecef" : data.colorOf(best);
      ctx.fillRect(x0, 0, x1 - x0, hgt);
      counts.clear();
      focused = false;
      unknown = false;
      col = upto;
    };
    const columns = Math.min(w, head);
    for (let s = 1; s <= head; s++) {
      const c = Math.floor(((s - 1) * columns) / head);
      if (c !== col) flush(c);
      const by = data.by(s);
      if (by === undefined) unknown = true;
      else {
        counts.set(by, (counts.get(by) ?? 0) + 1);
        if (data.focused(by)) focused = true;
      }
    }
    flush(columns);
    ctx.globalAlpha = 1;
  }

  private drawMarks(data: TimelineData): void {
    const all = data.landmarks;
    if (all.length === this.markCount && this.markHead === data.head) return;
    this.markCount = all.length;
    this.markHead = data.head;
    // Sessions matter more than first changes when there is no room for every mark.
    const shown = all.length <= MAX_MARKS ? all : all.filter((m) => m.kind === "session");
    this.marks.replaceChildren(
      ...shown.slice(0, MAX_MARKS).map((m) => {
        const mark = h("div", { class: `mark ${m.kind}`, title: m.label });
        mark.style.left = `${((m.seq - 0.5) / Math.max(1, data.head)) * 100}%`;
        return mark;
      }),
    );
  }

  private drawLabels(data: TimelineData): void {
    const head = data.head;
    const first = data.ts(1);
    const last = data.ts(head);
    const span = first !== undefined && last !== undefined ? last - first : 0;
    // A phone has room for three times, not five.
    const at = this.track.clientWidth < 520 ? [0, 0.5, 1] : LABELS;
    this.labels.replaceChildren(
      ...at.map((f) => {
        const seq = Math.max(1, Math.round(f * head));
        const ts = head > 0 ? data.ts(seq) : undefined;
        const label = h("span", { text: ts === undefined ? "" : shortTime(ts, span) });
        label.style.left = `${f * 100}%`;
        label.className = f === 0 ? "at-start" : f === 1 ? "at-end" : "";
        return label;
      }),
    );
  }
}
