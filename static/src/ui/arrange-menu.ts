/**
 * The selection's menu, at the bottom of the board: stacking order, lock, align and distribute
 * for what is selected; the six note colours when notes are selected or the Note tool is on;
 * and, always, the frames list and "Unlock all" (locked elements cannot be selected, so this is
 * the way back to them).
 */
import { align, distribute, type Edge, restack, setLocked, type StackMove } from "../tools/arrange";
import { NOTE_COLORS } from "../tools/style";
import type { ToolContext, ToolName } from "../tools/tool";
import { t } from "../i18n/i18n";
import { h, icon } from "./dom";

/** The words of this menu (i18n keys arrange.*), with their shortcuts. */
const label = (key: string, shortcut?: string): string =>
  shortcut
    ? t("tools.withKey", { label: t(`arrange.${key}`), key: shortcut })
    : t(`arrange.${key}`);
const ALIGN_KEYS: Record<Edge, string> = {
  left: "alignLeft",
  centre: "alignCentre",
  right: "alignRight",
  top: "alignTop",
  middle: "alignMiddle",
  bottom: "alignBottom",
};

/** Our own icon drawings (24×24, stroked), for this menu only. */
const PATHS = {
  front: ["M8 8h12v12H8z", "M4 4h12v2", "M4 4v12h2"],
  forward: ["M12 19V5", "M6 11l6-6 6 6"],
  backward: ["M12 5v14", "M6 13l6 6 6-6"],
  back: ["M4 4h12v12H4z", "M20 8v12H8v-2", "M20 8h-2"],
  lock: ["M6 11h12v9H6z", "M8.5 11V8a3.5 3.5 0 0 1 7 0v3"],
  unlock: ["M6 11h12v9H6z", "M8.5 11V8a3.5 3.5 0 0 1 6.8-1.2"],
  frames: ["M4 5h16", "M4 12h16", "M4 19h16"],
  left: ["M4 3v18", "M8 7h10v4H8z", "M8 14h6v4H8z"],
  centre: ["M12 3v18", "M6 7h12v4H6z", "M8 14h8v4H8z"],
  right: ["M20 3v18", "M6 7h10v4H6z", "M10 14h6v4h-6z"],
  top: ["M3 4h18", "M7 8h4v10H7z", "M14 8h4v6h-4z"],
  middle: ["M3 12h18", "M7 6h4v12H7z", "M14 8h4v8h-4z"],
  bottom: ["M3 20h18", "M7 6h4v10H7z", "M14 10h4v6h-4z"],
  distributeX: ["M4 4v16", "M20 4v16", "M10 8h4v8h-4z"],
  distributeY: ["M4 4h16", "M4 20h16", "M8 10h8v4H8z"],
} as const;

export class ArrangeMenu {
  private readonly selectionGroup: HTMLElement;
  private readonly alignGroup: HTMLElement;
  private readonly distributeGroup: HTMLElement;
  private readonly noteGroup: HTMLElement;
  private readonly lockButton: HTMLButtonElement;
  private readonly unlockAll: HTMLButtonElement;
  private tool: ToolName = "pen";
  private queued = false;
  /** The locked elements of the board, kept up to date from the model's changes. */
  private readonly locked = new Set<string>();

  constructor(
    parent: HTMLElement,
    private readonly ctx: ToolContext,
    private readonly toggleFrames: () => void,
  ) {
    const button = (action: string, label: string, paths: readonly string[], run: () => void) => {
      const b = h(
        "button",
        { type: "button", class: "tool", title: label, "aria-label": label, "data-action": action },
        icon(...paths),
      );
      b.addEventListener("click", run);
      return b;
    };
    const sel = (): string[] => ctx.selection.list();
    const stack = (how: StackMove): void => restack(ctx, sel(), how);
    this.lockButton = button("lock", label("lock", "Ctrl+Shift+L"), PATHS.lock, () =>
      this.toggleLock(),
    );
    this.selectionGroup = h(
      "div",
      { class: "group", role: "group" },
      button("back", label("back", "Ctrl+Shift+["), PATHS.back, () => stack("back")),
      button("backward", label("backward", "Ctrl+["), PATHS.backward, () => stack("backward")),
      button("forward", label("forward", "Ctrl+]"), PATHS.forward, () => stack("forward")),
      button("front", label("front", "Ctrl+Shift+]"), PATHS.front, () => stack("front")),
      this.lockButton,
    );
    const edges: Edge[] = ["left", "centre", "right", "top", "middle", "bottom"];
    this.alignGroup = h(
      "div",
      { class: "group", role: "group" },
      ...edges.map((e) =>
        button(`align-${e}`, label(ALIGN_KEYS[e]), PATHS[e], () => align(ctx, sel(), e)),
      ),
    );
    this.distributeGroup = h(
      "div",
      { class: "group", role: "group" },
      button("distribute-x", label("distributeX"), PATHS.distributeX, () =>
        distribute(ctx, sel(), "x"),
      ),
      button("distribute-y", label("distributeY"), PATHS.distributeY, () =>
        distribute(ctx, sel(), "y"),
      ),
    );
    this.noteGroup = h("div", { class: "group", role: "group" });
    NOTE_COLORS.forEach((c, i) => {
      const b = h("button", {
        type: "button",
        class: "swatch note-swatch",
        title: t("arrange.noteColor", { n: i + 1 }),
        "aria-label": t("arrange.noteColor", { n: i + 1 }),
        "data-note-color": c,
      });
      b.style.background = c;
      b.addEventListener("click", () => this.pickNoteColor(c));
      this.noteGroup.append(b);
    });
    this.unlockAll = h("button", {
      type: "button",
      class: "text-button",
      "data-action": "unlock-all",
      text: label("unlockAll"),
    });
    this.unlockAll.addEventListener("click", () => setLocked(ctx, [...this.locked], false));
    const frames = button("frames", label("frames"), PATHS.frames, toggleFrames);
    parent.append(
      h(
        "div",
        { class: "arrange panel", role: "toolbar", "aria-label": label("label") },
        this.noteGroup,
        this.selectionGroup,
        this.alignGroup,
        this.distributeGroup,
        frames,
        this.unlockAll,
      ),
    );
    ctx.selection.onChange(() => this.refresh());
    ctx.model.onChange((ids) => {
      const had = this.locked.size > 0;
      if (ids === null) {
        this.locked.clear();
        ctx.model.forEach((e) => e.locked && this.locked.add(e.id));
      } else {
        for (const id of ids) {
          if (ctx.model.get(id)?.locked) this.locked.add(id);
          else this.locked.delete(id);
        }
      }
      // Others draw all the time: the menu only shows the selection and "Unlock all".
      if (
        ids === null ||
        had !== this.locked.size > 0 ||
        [...ids].some((id) => ctx.selection.has(id))
      )
        this.queue();
    });
    ctx.style.onChange(() => this.refresh());
    this.refresh();
  }

  /** The tool changed: the note colours show while the Note tool is on. */
  setTool(tool: ToolName): void {
    this.tool = tool;
    this.refresh();
  }

  /** Ctrl+Shift+L: locks the selection, or unlocks it when all of it is locked. */
  toggleLock(): void {
    const ids = this.ctx.selection.list();
    const allLocked = ids.length > 0 && ids.every((id) => this.ctx.model.get(id)?.locked);
    setLocked(this.ctx, ids, !allLocked);
    this.refresh();
  }

  private pickNoteColor(color: string): void {
    const { style, selection, model, editor } = this.ctx;
    style.update({ noteColor: color });
    editor.begin();
    for (const id of selection.list()) {
      const el = model.get(id);
      if (el?.type === "note" && !el.locked && el.fill !== color)
        editor.do({ k: "update", id, set: { fill: color } });
    }
    editor.end();
  }

  private queue(): void {
    if (this.queued) return;
    this.queued = true;
    requestAnimationFrame(() => {
      this.queued = false;
      this.refresh();
    });
  }

  private refresh(): void {
    const { selection, model, style } = this.ctx;
    const els = selection.list().flatMap((id) => model.get(id) ?? []);
    const free = els.filter((e) => !e.locked);
    this.selectionGroup.hidden = els.length === 0;
    this.alignGroup.hidden = free.length < 2;
    this.distributeGroup.hidden = free.length < 3;
    this.noteGroup.hidden = this.tool !== "note" && !els.some((e) => e.type === "note");
    const allLocked = els.length > 0 && els.every((e) => e.locked);
    this.lockButton.title = label(allLocked ? "unlock" : "lock", "Ctrl+Shift+L");
    this.lockButton.setAttribute("aria-label", this.lockButton.title);
    this.lockButton.setAttribute("aria-pressed", String(allLocked));
    this.lockButton.replaceChildren(icon(...(allLocked ? PATHS.unlock : PATHS.lock)));
    this.unlockAll.hidden = this.locked.size === 0;
    for (const b of this.noteGroup.querySelectorAll<HTMLButtonElement>("button"))
      b.setAttribute("aria-pressed", String(b.dataset["noteColor"] === style.noteColor));
  }
}
