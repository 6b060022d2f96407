/** The shortcuts dialog, opened with `?` or the help button. */
import { h } from "./dom";

const SHORTCUTS: [string, string][] = [
  ["V", "Select (click, Shift+click, drag a box)"],
  ["H / Space+drag", "Pan (also middle button, two fingers)"],
  ["P", "Pen"],
  ["L / A", "Line / Arrow"],
  ["R / O", "Rectangle / Ellipse (Shift: square, circle)"],
  ["T", "Text (Ctrl+Enter or Escape to finish)"],
  ["N", "Sticky note (a click drops one; type at once)"],
  ["F", "Frame (drag an area; double-click its name to rename)"],
  ["E", "Eraser"],
  ["Double-click", "Edit a text, a note, a shape's label or a frame's name"],
  ["Ctrl+Z", "Undo your last change"],
  ["Ctrl+Shift+Z / Ctrl+Y", "Redo"],
  ["Delete", "Delete the selection"],
  ["Ctrl+D", "Duplicate the selection"],
  ["Ctrl+A", "Select everything"],
  ["Ctrl+C / X / V", "Copy, cut, paste (also between boards and tabs)"],
  ["Ctrl+] / Ctrl+[", "Bring forward / send backward (Shift: to front / back)"],
  ["Ctrl+Shift+L", "Lock or unlock the selection"],
  ["Alt while moving", "Move without snapping"],
  ["Arrows", "Nudge the selection (Shift: 10 units)"],
  ["Wheel / + / −", "Zoom"],
  ["Shift+1", "Zoom to fit"],
  ["Shift+0 / Ctrl+0", "Reset zoom to 100 %"],
  ["Ctrl+Shift+H", "History: replay, restore or copy any past moment"],
  ["← / → in history", "One change back / forward"],
  ["?", "This help"],
];

export class HelpDialog {
  private readonly dialog: HTMLDialogElement;

  constructor(parent: HTMLElement) {
    const rows = SHORTCUTS.map(([keys, what]) =>
      h("tr", {}, h("th", { scope: "row" }, h("kbd", { text: keys })), h("td", { text: what })),
    );
    const close = h("button", { type: "button", class: "close", text: "Close" });
    this.dialog = h(
      "dialog",
      { class: "help", "aria-label": "Keyboard shortcuts" },
      h("h2", { text: "Keyboard shortcuts" }),
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
      title: "Keyboard shortcuts — ?",
      "aria-label": "Keyboard shortcuts",
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
