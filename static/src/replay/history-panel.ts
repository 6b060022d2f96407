/**
 * The history panel: play, pause and speed, the timeline, who drew what, and what can be done
 * with the moment shown (restore it, copy it to a new board, export it).
 *
 * It is a view: it renders a HistoryView and reports what the user does through
 * HistoryActions; history.ts does the work. Names come from the log and are set as
 * text, never as markup.
 */
import { formatNumber, formatPercent, t } from "../i18n/i18n";
import { h } from "../ui/dom";
import { SPEEDS } from "./player";
import { type TimelineData, Timeline } from "./timeline";

export interface AuthorEntry {
  name: string;
  count: number;
  color: string;
}

export interface HistoryView {
  readonly timeline: TimelineData;
  /** The moment asked for (the canvas may still be loading it). */
  readonly seq: number;
  readonly head: number;
  readonly playing: boolean;
  readonly speed: number;
  readonly skipIdle: boolean;
  readonly busy: boolean;
  /** Share of the log loaded, 0..1, or null once all of it is. */
  readonly progress: number | null;
  readonly error: string | null;
  /** Changes that reached the live board since the panel opened. */
  readonly liveChanges: number;
  readonly authors: readonly AuthorEntry[];
  readonly filter: string | null;
  readonly canRestore: boolean;
  /** "25 Nov 2026, 10:32:05 · change 12 of 40" */
  readonly moment: string;
  readonly svgUrl: string;
  readonly pdfUrl: string;
  readonly fileUrl: string;
  readonly fileName: string;
}

export interface HistoryActions {
  seek(seq: number): void;
  /** The user took the timeline: stop playing. */
  grab(): void;
  togglePlay(): void;
  setSpeed(speed: number): void;
  setSkipIdle(on: boolean): void;
  setFilter(name: string | null): void;
  backToLive(): void;
  restore(): void;
  copyToNewBoard(): void;
  exportPng(whole: boolean): void;
  /** Copies the link that opens the history at this moment. */
  copyLink(): void;
  /** Opens the form of "Export video" (video-panel.ts). */
  exportVideo(): void;
}

export class HistoryPanel {
  readonly el: HTMLElement;
  private readonly timeline: Timeline;
  private readonly play: HTMLButtonElement;
  private readonly speed: HTMLSelectElement;
  private readonly skip: HTMLInputElement;
  private readonly author: HTMLSelectElement;
  private readonly moment: HTMLSpanElement;
  private readonly progress: HTMLSpanElement;
  private readonly badge: HTMLSpanElement;
  private readonly restore: HTMLButtonElement;
  private readonly copy: HTMLButtonElement;
  private readonly svg: HTMLAnchorElement;
  private readonly pdf: HTMLAnchorElement;
  private readonly file: HTMLAnchorElement;
  private readonly exportMenu: HTMLDivElement;
  private authorsKey = "";

  constructor(parent: HTMLElement, a: HistoryActions) {
    this.timeline = new Timeline(
      (s) => a.seek(s),
      () => a.grab(),
    );
    this.play = h("button", { type: "button", class: "play", "data-testid": "history-play" });
    this.play.addEventListener("click", () => a.togglePlay());
    this.speed = h(
      "select",
      { "aria-label": t("history.speed"), "data-testid": "history-speed" },
      ...SPEEDS.map((s) => h("option", { value: s, text: `${formatNumber(s)}×` })),
    );
    this.speed.addEventListener("change", () => a.setSpeed(Number(this.speed.value)));
    this.skip = h("input", { type: "checkbox" });
    this.skip.addEventListener("change", () => a.setSkipIdle(this.skip.checked));
    this.author = h("select", {
      "aria-label": t("history.author"),
      "data-testid": "history-author",
    });
    this.author.addEventListener("change", () => a.setFilter(this.author.value || null));
    this.moment = h("span", { class: "moment", "data-testid": "history-moment" });
    this.progress = h("span", { class: "progress", "data-testid": "history-progress" });
    this.badge = h("span", { class: "live-badge", "data-testid": "live-changes", hidden: true });
    const live = h("button", {
      type: "button",
      class: "back-to-live",
      "data-testid": "back-to-live",
      text: t("history.backToLive"),
    });
    live.addEventListener("click", () => a.backToLive());

    this.restore = h("button", { type: "button", text: t("history.restore") });
    this.restore.addEventListener("click", () => a.restore());
    this.copy = h("button", {
      type: "button",
      text: t("history.copy"),
      title: t("history.copyTitle"),
    });
    this.copy.addEventListener("click", () => a.copyToNewBoard());

    const pngView = h("button", { type: "button", text: t("history.pngView") });
    pngView.addEventListener("click", () => a.exportPng(false));
    const pngAll = h("button", { type: "button", text: t("history.pngAll") });
    pngAll.addEventListener("click", () => a.exportPng(true));
    this.svg = h("a", { text: t("history.svg"), target: "_blank", rel: "noopener" });
    this.pdf = h("a", {
      text: t("history.pdf"),
      target: "_blank",
      rel: "noopener",
      "data-testid": "export-pdf",
    });
    const link = h("button", {
      type: "button",
      text: t("history.link"),
      "data-testid": "copy-link",
    });
    link.addEventListener("click", () => a.copyLink());
    this.file = h("a", { text: t("history.file") });
    const video = h("button", {
      type: "button",
      text: t("history.video"),
      "data-testid": "export-video",
    });
    video.addEventListener("click", () => a.exportVideo());
    this.exportMenu = h(
      "div",
      { class: "export-menu panel", hidden: true },
      pngView,
      pngAll,
      this.svg,
      this.pdf,
      this.file,
      video,
      link,
    );
    const exportButton = h("button", {
      type: "button",
      text: t("history.export"),
      "aria-expanded": "false",
    });
    exportButton.addEventListener("click", () => {
      this.exportMenu.hidden = !this.exportMenu.hidden;
      exportButton.setAttribute("aria-expanded", String(!this.exportMenu.hidden));
    });
    this.exportMenu.addEventListener("click", () => {
      this.exportMenu.hidden = true;
    });
    const exportBox = h("div", { class: "export" }, exportButton, this.exportMenu);
    document.addEventListener("pointerdown", (e) => {
      if (e.target instanceof Node && !exportBox.contains(e.target)) this.exportMenu.hidden = true;
    });

    this.el = h(
      "section",
      {
        class: "history panel",
        "aria-label": t("history.label"),
        "data-testid": "history",
        hidden: true,
      },
      h(
        "div",
        { class: "history-row" },
        this.play,
        this.speed,
        h("label", { class: "skip" }, this.skip, t("history.skipIdle")),
        this.author,
        this.moment,
        h("span", { class: "spacer" }),
        this.progress,
      ),
      this.timeline.el,
      h(
        "div",
        { class: "history-row actions" },
        this.restore,
        this.copy,
        exportBox,
        h("span", { class: "spacer" }),
        this.badge,
        live,
      ),
    );
    parent.append(this.el);
  }

  get open(): boolean {
    return !this.el.hidden;
  }

  show(visible: boolean): void {
    this.el.hidden = !visible;
    this.exportMenu.hidden = true;
  }

  /** The log changed (pages arrived, the focus moved): redraw the timeline's bars. */
  logChanged(): void {
    this.timeline.invalidate();
  }

  render(v: HistoryView): void {
    this.timeline.update(v.timeline, v.seq, v.moment);
    this.play.textContent = v.playing ? "❚❚" : "▶";
    this.play.setAttribute("aria-label", v.playing ? t("history.pause") : t("history.play"));
    this.play.title = v.playing ? t("history.pause") : t("history.playTitle");
    this.speed.value = String(v.speed);
    this.skip.checked = v.skipIdle;
    this.renderAuthors(v);
    this.moment.textContent = v.moment + (v.busy ? ` · ${t("history.loading")}` : "");
    this.progress.textContent =
      v.error ??
      (v.progress === null
        ? ""
        : t("history.loadingHistory", {
            percent: formatPercent(Math.floor(v.progress * 100) / 100),
          }));
    this.progress.classList.toggle("error", v.error !== null);
    this.badge.hidden = v.liveChanges === 0;
    this.badge.textContent = t("history.liveChanges", { count: v.liveChanges });
    this.restore.disabled = !v.canRestore || v.busy;
    this.restore.title = v.canRestore ? t("history.restoreTitle") : t("history.restoreReadOnly");
    this.copy.disabled = v.busy;
    this.svg.href = v.svgUrl;
    this.pdf.href = v.pdfUrl;
    this.file.href = v.fileUrl;
    this.file.download = v.fileName;
  }

  private renderAuthors(v: HistoryView): void {
    const key = JSON.stringify([v.authors, v.filter]);
    if (key === this.authorsKey) return;
    this.authorsKey = key;
    const everyone = h("option", { value: "", text: t("history.everyone") });
    const options = v.authors.map((au) =>
      h("option", {
        value: au.name,
        text: t("history.authorCount", { name: au.name, count: au.count }),
      }),
    );
    this.author.replaceChildren(everyone, ...options);
    this.author.value = v.filter ?? "";
  }
}
