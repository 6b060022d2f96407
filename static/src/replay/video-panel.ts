/**
 * "Export video" in the history panel: which changes (from, to), how fast, with captions or
 * not; then the recording's progress and a way to cancel it. The recording itself is video.ts;
 * history.ts gives it the replay to film (`VideoDeps.source`).
 */
import { formatNumber, formatPercent, t } from "../i18n/i18n";
import { h } from "../ui/dom";
import { downloadBlob } from "../util/download";
import { SPEEDS } from "./player";
import {
  Cancelled,
  recordVideo,
  type VideoRange,
  type VideoSource,
  webmType,
  WIDTHS,
} from "./video";

export interface VideoDeps {
  /** The history's head, the moment shown and the player's speed: the form's defaults. */
  defaults(): { head: number; seq: number; speed: number; skipIdle: boolean } | null;
  /** The replay ready to be filmed over the range (its log read that far), or null if closed. */
  source(r: VideoRange, progress: (f: number) => void): Promise<VideoSource | null>;
  /** Recording ended, however: the history view goes back to what it showed. */
  finished(): void;
  fileName(r: VideoRange): string;
  toast(text: string): void;
}

export class VideoPanel {
  readonly el: HTMLElement;
  private readonly from: HTMLInputElement;
  private readonly to: HTMLInputElement;
  private readonly speed: HTMLSelectElement;
  private readonly width: HTMLSelectElement;
  private readonly captions: HTMLInputElement;
  private readonly record: HTMLButtonElement;
  private readonly bar: HTMLProgressElement;
  private readonly status: HTMLElement;
  private skipIdle = true;
  private abort: AbortController | null = null;

  constructor(private readonly d: VideoDeps) {
    const num = (testid: string): HTMLInputElement =>
      h("input", { type: "number", min: 0, step: 1, "data-testid": testid });
    this.from = num("video-from");
    this.to = num("video-to");
    this.speed = h(
      "select",
      { "data-testid": "video-speed" },
      ...SPEEDS.map((s) => h("option", { value: s, text: `${formatNumber(s)}×` })),
    );
    this.width = h(
      "select",
      { "data-testid": "video-width" },
      ...WIDTHS.map((w) => h("option", { value: w, text: formatNumber(w) })),
    );
    this.width.value = "1280";
    this.captions = h("input", { type: "checkbox", "data-testid": "video-captions" });
    this.record = h("button", {
      type: "button",
      class: "primary",
      text: t("history.videoRecord"),
      "data-testid": "video-record",
    });
    const cancel = h("button", {
      type: "button",
      text: t("history.videoCancel"),
      "data-testid": "video-cancel",
    });
    this.bar = h("progress", { max: 1, value: 0, hidden: true });
    this.status = h("span", { role: "status", "data-testid": "video-status" });
    const field = (label: string, input: HTMLElement): HTMLElement =>
      h("label", { class: "video-field" }, label, input);
    this.el = h(
      "div",
      {
        class: "video-panel panel",
        role: "dialog",
        "aria-label": t("history.videoTitle"),
        "data-testid": "video-panel",
        hidden: true,
      },
      h("h2", { text: t("history.videoTitle") }),
      h(
        "div",
        { class: "video-fields" },
        field(t("history.videoFrom"), this.from),
        field(t("history.videoTo"), this.to),
        field(t("history.videoSpeed"), this.speed),
        field(t("history.videoWidth"), this.width),
      ),
      h("label", { class: "video-field" }, this.captions, t("history.videoCaptions")),
      h("div", { class: "video-actions" }, this.record, cancel),
      this.bar,
      this.status,
    );
    this.record.addEventListener("click", () => void this.start());
    cancel.addEventListener("click", () => this.cancel());
    this.el.addEventListener("keydown", (e) => {
      if (e.key !== "Escape") return;
      e.stopPropagation();
      this.cancel();
    });
  }

  get recording(): boolean {
    return this.abort !== null;
  }

  /** Opens the form on the whole history at the player's speed. */
  open(): void {
    const v = this.d.defaults();
    if (!v) return;
    this.from.max = this.to.max = String(v.head);
    this.from.value = "0";
    this.to.value = String(v.head);
    this.speed.value = String(v.speed);
    this.skipIdle = v.skipIdle;
    this.status.textContent = "";
    this.bar.hidden = true;
    this.el.hidden = false;
    this.record.focus();
  }

  /** Cancels a recording, or closes the form. */
  cancel(): void {
    if (this.abort) this.abort.abort();
    else this.el.hidden = true;
  }

  private range(): VideoRange | null {
    const head = Number(this.to.max);
    const clamp = (s: string): number => Math.max(0, Math.min(head, Math.round(Number(s) || 0)));
    const from = clamp(this.from.value);
    const to = clamp(this.to.value);
    if (to <= from) return null;
    return {
      from,
      to,
      speed: Number(this.speed.value) || 1,
      skipIdle: this.skipIdle,
      captions: this.captions.checked,
      width: Number(this.width.value) || 1280,
    };
  }

  private async start(): Promise<void> {
    if (this.abort) return;
    const r = this.range();
    if (!r) {
      this.status.textContent = t("history.videoEmpty");
      return;
    }
    if (!webmType()) {
      this.status.textContent = t("history.videoUnsupported");
      return;
    }
    const abort = new AbortController();
    this.abort = abort;
    this.record.disabled = true;
    this.bar.hidden = false;
    const progress = (f: number): void => {
      this.bar.value = f;
      this.status.textContent = t("history.videoRecording", { percent: formatPercent(f) });
    };
    progress(0);
    try {
      const src = await this.d.source(r, progress);
      if (!src || abort.signal.aborted) throw new Cancelled();
      const video = await recordVideo(r, src, abort.signal);
      downloadBlob(video, this.d.fileName(r));
      this.el.hidden = true;
      this.d.toast(t("history.videoSaved"));
    } catch (e) {
      const text = e instanceof Cancelled ? t("history.videoCancelled") : t("history.videoFailed");
      this.status.textContent = text;
      this.d.toast(text);
    } finally {
      this.abort = null;
      this.record.disabled = false;
      this.bar.hidden = true;
      this.d.finished();
    }
  }
}
