/** The shortcuts dialog, opened with `?`, the help button or the menu. */
import { t } from "../i18n/i18n";
import { h } from "./dom";

/** [keys (a help.keys entry, or the key itself), what it does (a help entry)] */
const SHORTCUTS: [string, string][] = [
  ["V", "select"],
  ["@pan", "pan"],
  ["P", "pen"],
  ["L / A", "lineArrow"],
  ["R / O", "shapes"],
  ["T", "text"],
  ["N", "note"],
  ["F", "frame"],
  ["E", "eraser"],
  ["@doubleClick", "doubleClick"],
  ["K", "laser"],
  ["@enter", "enter"],
  ["@tab", "tab"],
  ["@arrows", "arrows"],
  ["@undo", "undo"],
  ["@redo", "redo"],
  ["@delete", "delete"],
  ["@duplicate", "duplicate"],
  ["@selectAll", "selectAll"],
  ["@clipboard", "clipboard"],
  ["@zorder", "zorder"],
  ["@lock", "lock"],
  ["@noSnap", "noSnap"],
  ["@escape", "escape"],
  ["@zoom", "zoom"],
  ["@fit", "fit"],
  ["@reset", "reset"],
  ["@history", "history"],
  ["@historyStep", "historyStep"],
  ["?", "help"],
];

export class HelpDialog {
  private readonly dialog: HTMLDialogElement;

  constructor(parent: HTMLElement) {
    const rows = SHORTCUTS.map(([keys, what]) =>
      h(
        "tr",
        {},
        h(
          "th",
          { scope: "row" },
          h("kbd", { text: keys.startsWith("@") ? t(`help.keys.${keys.slice(1)}`) : keys }),
        ),
        h("td", { text: t(`help.${what}`) }),
      ),
    );
    const close = h("button", { type: "button", class: "close", text: t("help.close") });
    this.dialog = h(
      "dialog",
      { class: "help", "aria-labelledby": "help-title" },
      h("h2", { id: "help-title", text: t("help.title") }),
      h("table", {}, h("tbody", {}, ...rows)),
      close,
    );
    close.addEventListener("click", () => this.dialog.close());
    this.dialog.addEventListener("click", (e) => {
      if (e.target === this.dialog) this.dialog.close();
    });
    const button = h("button", {
      class: "help-button panel",
      type: "button",
      title: `${t("help.title")} — ?`,
      "aria-label": t("help.title"),
      "aria-keyshortcuts": "?",
      text: "?",
    });
    button.addEventListener("click", () => this.toggle());
    parent.append(button, this.dialog);
  }

  get open(): boolean {
    return this.dialog.open;
  }

  toggle(): void {
    if (this.dialog.open) this.dialog.close();
    else this.dialog.showModal();
  }
}
