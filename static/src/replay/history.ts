/**
 * HistoryMode: the board's past on the same canvas, while the live board goes on.
 *
 * Opening it swaps what the renderer shows from the live model to a ReplayState that starts
 * at the live head; the live model keeps receiving everyone's changes (the panel counts them)
 * and comes back on "back to live". The log streams in behind it (log.ts), the player moves
 * through it (player.ts), and the panel (ui/history-panel.ts) shows and drives all of this.
 * The moment shown can be restored onto the live board, copied to a new board or exported;
 * a stretch of it can be filmed (video-panel.ts).
 */
import { formatNumber, t } from "../i18n/i18n";
import type { Editor } from "../model/editor";
import type { Model } from "../model/model";
import type { Renderer } from "../render/renderer";
import { renderPng, wholeBoard } from "../render/export-png";
import type { Viewport } from "../render/viewport";
import type { Tool } from "../tools/tool";
import { downloadBlob } from "../util/download";
import { ApiFailure, boardFileUrl, fetchStateAt, forkAt, momentLink, pdfUrl, svgUrl } from "./api";
import { AuthorTip } from "./author-tip";
import { type AuthorEntry, HistoryPanel, type HistoryView } from "./history-panel";
import { HistoryLog } from "./log";
import { Player } from "./player";
import { ReplayTool } from "./replay-tool";
import { restoreOps } from "./restore";
import { longTime } from "./sessions";
import { ReplayState } from "./state";
import type { TimelineData } from "./timeline";
import { VideoPanel } from "./video-panel";
import type { VideoRange, VideoSource } from "./video";

/** Colours told apart at a glance, for authors in the order they first drew. */
const AUTHOR_COLORS = [
  "#4263eb",
  "#e8590c",
  "#2f9e44",
  "#ae3ec9",
  "#1098ad",
  "#f08c00",
  "#c2255c",
  "#5c940d",
];

export interface HistoryDeps {
  board: string;
  model: Model;
  editor: Editor;
  renderer: Renderer;
  viewport: Viewport;
  stage: HTMLElement;
  chrome: HTMLElement;
  toast(text: string): void;
  /** The history view opened (true) or closed: the app hides its drawing tools meanwhile. */
  toggled(active: boolean): void;
}

/** What exists only while the history view is open. */
interface Session {
  log: HistoryLog;
  state: ReplayState;
  player: Player;
  /** The live seq when the view opened, to count live changes since. */
  openedAt: number;
  filter: string | null;
  unsubscribe: () => void;
}

export class HistoryMode {
  private session: Session | null = null;
  private readonly panel: HistoryPanel;
  private readonly tip: AuthorTip;
  private readonly video: VideoPanel;
  readonly tool: Tool;
  private renderQueued = false;

  constructor(private readonly d: HistoryDeps) {
    this.tip = new AuthorTip(d.stage);
    this.tool = new ReplayTool(d.renderer, d.viewport, this.tip, {
      authorOf: (id) => this.authorOf(id),
    });
    this.panel = new HistoryPanel(d.chrome, {
      seek: (s) => this.session?.player.seek(s),
      grab: () => this.session?.player.pause(),
      togglePlay: () => {
        const p = this.session?.player;
        if (p) p[p.playing ? "pause" : "play"]();
      },
      setSpeed: (s) => this.session?.player.setSpeed(s),
      setSkipIdle: (on) => this.session?.player.setSkipIdle(on),
      setFilter: (name) => this.setFilter(name),
      backToLive: () => this.close(),
      restore: () => void this.restore(),
      copyToNewBoard: () => void this.copyToNewBoard(),
      exportPng: (whole) => void this.exportPng(whole),
      copyLink: () => void this.copyLink(),
      exportVideo: () => this.video.open(),
    });
    this.video = new VideoPanel({
      defaults: () => {
        const s = this.session;
        if (!s) return null;
        const { player } = s;
        return {
          head: s.log.head,
          seq: player.target,
          speed: player.speed,
          skipIdle: player.skipIdle,
        };
      },
      source: (r, progress) => this.videoSource(r, progress),
      finished: () => this.session?.player.seek(this.filmedFrom ?? this.session.player.target),
      fileName: (r) => `${d.board}-${r.from}-${r.to}.webm`,
      toast: (text) => d.toast(text),
    });
    d.chrome.append(this.video.el);
  }

  /** The moment shown before filming: shown again afterwards. */
  private filmedFrom: number | null = null;

  /** The replay to film over `r`: every op of the range read first, so none stalls the film. */
  private async videoSource(
    r: VideoRange,
    progress: (f: number) => void,
  ): Promise<VideoSource | null> {
    const s = this.session;
    if (!s) return null;
    s.player.pause();
    this.filmedFrom = s.player.target;
    await s.log.scannedTo(r.to);
    await s.log.ensure(r.from, r.to);
    const canvas = this.d.stage.querySelector<HTMLCanvasElement>("canvas.board-scene");
    if (this.session !== s || !canvas) return null;
    const bg = getComputedStyle(document.documentElement).getPropertyValue("--bg").trim();
    return {
      canvas,
      background: bg || "#ffffff",
      seek: (seq) => {
        if (s.player.target !== seq) s.player.seek(seq);
      },
      shown: (seq) => s.state.seq === seq && !s.player.busy,
      painted: () => this.d.renderer.whenPainted(),
      ts: (seq) => s.log.ts(seq),
      author: (seq) => {
        const by = s.log.by(seq);
        return by === undefined ? null : s.log.nameOf(by);
      },
      progress,
    };
  }

  get active(): boolean {
    return this.session !== null;
  }

  toggle(): void {
    if (this.session) this.close();
    else this.open();
  }

  open(): void {
    if (this.session) return;
    const { model, renderer } = this.d;
    const log = HistoryLog.forBoard(this.d.board);
    const start = model.confirmedCopy();
    const state = new ReplayState(start.doc, start.seq, log.firstAdd);
    const player = new Player(log, state, (at) => fetchStateAt(this.d.board, at), model.limits);
    log.setHead(start.seq);
    const unsubscribe = model.onChange(() => {
      log.setHead(model.seq);
      this.render();
    });
    this.session = { log, state, player, openedAt: start.seq, filter: null, unsubscribe };
    log.onChange(() => {
      this.refreshFilter();
      this.panel.logChanged();
      this.render();
    });
    player.onChange(() => this.render());
    state.onChange(() => this.render());
    renderer.setSource(state);
    this.d.toggled(true);
    this.panel.show(true);
    this.render();
    log.kick();
    // The page at the head first: the moment shown on opening gets its time, and stepping
    // back from it needs no wait, while the scan reads the log from its start.
    if (start.seq > 0) void log.ensure(start.seq - 1, start.seq).catch(() => {});
  }

  close(): void {
    const s = this.session;
    if (!s) return;
    this.session = null;
    s.player.pause();
    s.log.close();
    s.unsubscribe();
    this.video.cancel();
    this.video.el.hidden = true;
    this.tip.hide();
    this.d.renderer.setSource(this.d.model);
    this.panel.show(false);
    this.d.toggled(false);
  }

  /** Test hook and status: the moment shown, and the head the timeline ends at. */
  get position(): { seq: number; head: number; busy: boolean } | null {
    const s = this.session;
    return s ? { seq: s.state.seq, head: s.log.head, busy: s.player.busy } : null;
  }

  /** Opens the history at `seq` (a shared link, `/b/{board}?at=S`). */
  openAt(seq: number): void {
    this.open();
    const p = this.session?.player;
    if (p) p.seek(seq);
  }

  private async copyLink(): Promise<void> {
    const s = this.session;
    if (!s) return;
    const link = momentLink(this.d.board, s.player.target);
    try {
      await navigator.clipboard.writeText(link);
      this.d.toast(t("history.linkCopied"));
    } catch {
      window.prompt(t("history.link"), link);
    }
  }

  /** Steps one change back or forward (arrow keys while the history is open). */
  step(delta: number): void {
    const p = this.session?.player;
    if (!p) return;
    p.pause();
    p.seek(p.target + delta);
  }

  // ---- who drew what ------------------------------------------------------------------------

  private colorOfName(name: string): string {
    const names = [...(this.session?.log.counts.keys() ?? [])];
    const i = names.indexOf(name);
    return AUTHOR_COLORS[(i < 0 ? 0 : i) % AUTHOR_COLORS.length] as string;
  }

  private authorOf(id: string): { name: string; color: string } | null {
    const s = this.session;
    if (!s || s.log.scanned < s.state.seq) return null;
    const by = s.log.authors.lastAuthor(id, s.state.seq);
    if (by === undefined) return null;
    const name = s.log.nameOf(by);
    return { name, color: this.colorOfName(name) };
  }

  private setFilter(name: string | null): void {
    const s = this.session;
    if (!s) return;
    s.filter = name;
    this.applyFilter(s);
    this.panel.logChanged();
    this.render();
  }

  private applyFilter(s: Session): void {
    if (s.filter === null) {
      s.player.focus = null;
      s.state.setFilter(null);
      return;
    }
    const ids = s.log.idsNamed(s.filter);
    s.player.focus = ids;
    s.state.setFilter((id) => s.log.authors.touchedBy(id, s.state.seq, ids));
  }

  /** New pages may name more of the person's connections or reach further: filter again. */
  private refreshFilter(): void {
    const s = this.session;
    if (s && s.filter !== null) this.applyFilter(s);
  }

  // ---- the panel ----------------------------------------------------------------------------

  private render(): void {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      const s = this.session;
      if (s) this.panel.render(this.view(s));
    });
  }

  private view(s: Session): HistoryView {
    const { log, player, state } = s;
    const seq = player.target;
    const filterIds = s.filter === null ? null : log.idsNamed(s.filter);
    const timeline: TimelineData = {
      head: log.head,
      ts: (q) => log.ts(q),
      by: (q) => log.by(q),
      colorOf: (by) => this.colorOfName(log.nameOf(by)),
      focused: (by) => filterIds === null || filterIds.has(by),
      landmarks: log.landmarks.marks,
    };
    const authors: AuthorEntry[] = [...log.counts].map(([name, count]) => ({
      name,
      count,
      color: this.colorOfName(name),
    }));
    const ts = log.ts(seq);
    const when = seq === 0 ? t("history.empty") : ts ? longTime(ts) : "";
    const of =
      seq === 0
        ? ""
        : ` · ${t("history.changeOf", { seq: formatNumber(seq), head: formatNumber(log.head) })}`;
    return {
      timeline,
      seq,
      head: log.head,
      playing: player.playing,
      speed: player.speed,
      skipIdle: player.skipIdle,
      busy: player.busy || state.seq !== seq,
      progress: log.scanned >= log.head ? null : log.scanned / Math.max(1, log.head),
      error: player.error ?? log.error,
      liveChanges: this.d.model.seq - s.openedAt,
      authors,
      filter: s.filter,
      canRestore: !this.d.model.readOnly,
      moment: (when + of).replace(/^ · /, ""),
      svgUrl: svgUrl(this.d.board, state.seq),
      pdfUrl: pdfUrl(this.d.board, state.seq),
      fileUrl: boardFileUrl(this.d.board, state.seq),
      fileName: `${this.d.board}-${state.seq}.wbd`,
    };
  }

  // ---- what can be done with a moment -------------------------------------------------------

  /**
   * Makes the live board look like the moment shown, with ordinary ops through the editor:
   * one undoable step of this user, seen live by everyone.
   */
  private async restore(): Promise<void> {
    const s = this.session;
    if (!s || s.player.busy) return;
    const { model, editor } = this.d;
    const at = s.state.seq;
    const past = s.state.allElements();
    // Elements deleted since keep their old place when added back, if we know it: the scan
    // of the log up to the moment does.
    if (past.some((e) => !model.has(e.id)) && s.log.scanned < at) {
      this.d.toast(t("history.reading"));
      await s.log.scannedTo(at);
      if (this.session !== s) return;
    }
    const ops = restoreOps(model.elements(), past, model.limits);
    if (ops.length === 0) {
      this.d.toast(t("history.alreadyLive"));
      return;
    }
    const ranks = new Map<string, number>();
    for (const e of past) {
      const r = s.log.firstAdd.get(e.id);
      if (!model.has(e.id) && r !== undefined) ranks.set(e.id, r);
    }
    model.seedRanks(ranks);
    this.close();
    editor.begin();
    for (const op of ops) editor.do(op);
    editor.end();
    this.d.toast(
      at === 0
        ? t("history.restoredEmpty")
        : t("history.restored", { when: longTime(s.log.ts(at) ?? 0) }),
    );
  }

  private async copyToNewBoard(): Promise<void> {
    const s = this.session;
    if (!s) return;
    try {
      const board = await forkAt(this.d.board, s.state.seq);
      location.assign(`/b/${encodeURIComponent(board)}`);
    } catch (e) {
      this.d.toast(e instanceof ApiFailure ? e.message : t("history.copyFailed"));
    }
  }

  private async exportPng(whole: boolean): Promise<void> {
    const { renderer, viewport, board } = this.d;
    renderer.sync();
    const box = whole ? wholeBoard(renderer.index) : viewport.visible();
    if (!box) {
      this.d.toast(t("history.nothingToExport"));
      return;
    }
    const seq = this.session?.state.seq ?? this.d.model.seq;
    try {
      const png = await renderPng(
        renderer.index,
        box,
        whole ? 2 : window.devicePixelRatio || 1,
        renderer.images,
      );
      downloadBlob(png, `${board}-${seq}${whole ? "" : "-view"}.png`);
    } catch {
      this.d.toast(t("history.pngFailed"));
    }
  }
}
