/**
 * Loads the history view's code the first time it is opened. Most visits to a board never
 * open it, and it is about a fifth of the app: the board should not wait for it. esbuild puts
 * it in a chunk of its own (build.mjs, `splitting`), fetched by the dynamic import below.
 */
import { t } from "../i18n/i18n";
import type { Tool } from "../tools/tool";
import type { HistoryDeps, HistoryMode } from "./history";

export class HistoryLoader {
  private mode: HistoryMode | null = null;
  private loading: Promise<HistoryMode> | null = null;

  constructor(private readonly deps: HistoryDeps) {}

  get active(): boolean {
    return this.mode?.active ?? false;
  }

  /** The pointer of the history view; only asked for while it is active (so loaded). */
  get tool(): Tool | null {
    return this.mode?.tool ?? null;
  }

  get position(): { seq: number; head: number; busy: boolean } | null {
    return this.mode?.position ?? null;
  }

  toggle(): void {
    if (this.mode) this.mode.toggle();
    else
      void this.load().then(
        (m) => m.open(),
        () => {},
      );
  }

  close(): void {
    this.mode?.close();
  }

  /** Opens the history at `seq` (the page was opened with `?at=S`). */
  openAt(seq: number): void {
    void this.load().then(
      (m) => m.openAt(seq),
      () => {},
    );
  }

  step(delta: number): void {
    this.mode?.step(delta);
  }

  private load(): Promise<HistoryMode> {
    this.loading ??= import("./history").then(
      ({ HistoryMode }) => {
        this.mode = new HistoryMode(this.deps);
        return this.mode;
      },
      (e: unknown) => {
        this.loading = null;
        this.deps.toast(t("history.loadFailed"));
        throw e;
      },
    );
    return this.loading;
  }
}
