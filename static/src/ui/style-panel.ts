/**
 * Style pickers: palette plus a custom colour, three stroke widths, fill on/off, text size.
 * A change applies to new elements and, when something is selected, to the selection as one
 * undoable action. Selecting an element shows its style here.
 */
import type { Editor } from "../model/editor";
import type { Model } from "../model/model";
import type { UpdateSet } from "../model/types";
import type { Selection } from "../tools/selection";
import { fillFor, PALETTE, type StyleState, TEXT_SIZES, WIDTHS } from "../tools/style";
import { h } from "./dom";

type Patch = Partial<Pick<StyleState, "stroke" | "width" | "fill" | "textSize">>;

export class StylePanel {
  private readonly swatches: HTMLButtonElement[] = [];
  private readonly custom: HTMLInputElement;
  private readonly widthButtons: HTMLButtonElement[] = [];
  private readonly fillButton: HTMLButtonElement;
  private readonly sizeButtons: HTMLButtonElement[] = [];

  constructor(
    parent: HTMLElement,
    private readonly style: StyleState,
    private readonly selection: Selection,
    private readonly model: Model,
    private readonly editor: Editor,
  ) {
    const panel = h("div", { class: "style panel", "aria-label": "Style" });
    const colours = h("div", { class: "row", role: "group", "aria-label": "Colour" });
    for (const c of PALETTE) {
      const b = h("button", {
        class: "swatch",
        type: "button",
        title: c,
        "aria-label": `Colour ${c}`,
        "data-color": c,
      });
      b.style.background = c;
      b.addEventListener("click", () => this.pick({ stroke: c }));
      this.swatches.push(b);
      colours.append(b);
    }
    this.custom = h("input", {
      type: "color",
      class: "custom-color",
      title: "Custom colour",
      "aria-label": "Custom colour",
    });
    this.custom.addEventListener("input", () => this.pick({ stroke: this.custom.value }));
    colours.append(this.custom);

    const widths = h("div", { class: "row", role: "group", "aria-label": "Stroke width" });
    WIDTHS.forEach((w, i) => {
      const label = ["Thin", "Medium", "Thick"][i] as string;
      const line = h("span", { class: "width-sample" });
      line.style.height = `${Math.max(1, w / 1.5)}px`;
      const b = h(
        "button",
        {
          class: "opt",
          type: "button",
          title: `${label} stroke`,
          "aria-label": `${label} stroke`,
          "data-width": w,
        },
        line,
      );
      b.addEventListener("click", () => this.pick({ width: w }));
      this.widthButtons.push(b);
      widths.append(b);
    });
    this.fillButton = h("button", {
      class: "opt fill-toggle",
      type: "button",
      title: "Fill shapes",
      "aria-label": "Fill shapes",
      "aria-pressed": "false",
      text: "Fill",
    });
    this.fillButton.addEventListener("click", () => this.pick({ fill: !this.style.fill }));
    widths.append(this.fillButton);

    const sizes = h("div", { class: "row", role: "group", "aria-label": "Text size" });
    TEXT_SIZES.forEach((s, i) => {
      const label = ["S", "M", "L", "XL"][i] as string;
      const b = h("button", {
        class: "opt",
        type: "button",
        title: `Text size ${s}`,
        "aria-label": `Text size ${label}`,
        "data-size": s,
        text: label,
      });
      b.addEventListener("click", () => this.pick({ textSize: s }));
      this.sizeButtons.push(b);
      sizes.append(b);
    });

    panel.append(colours, widths, sizes);
    parent.append(panel);
    style.onChange(() => this.show());
    selection.onChange(() => this.fromSelection());
    this.show();
  }

  private pick(patch: Patch): void {
    this.style.update(patch);
    this.applyToSelection(patch);
  }

  private applyToSelection(patch: Patch): void {
    const ids = this.selection.list();
    if (ids.length === 0) return;
    this.editor.begin();
    for (const id of ids) {
      const el = this.model.get(id);
      if (!el || el.type === "frame") continue;
      const set: UpdateSet = {};
      if (patch.stroke !== undefined) {
        set["stroke"] = patch.stroke;
        if ((el.type === "rect" || el.type === "ellipse") && el.fill)
          set["fill"] = fillFor(patch.stroke);
      }
      if (patch.width !== undefined && el.type !== "text" && el.type !== "note")
        set["width"] = patch.width;
      if (patch.fill !== undefined && (el.type === "rect" || el.type === "ellipse")) {
        set["fill"] = patch.fill ? fillFor(el.stroke) : null;
      }
      if (patch.textSize !== undefined && el.type === "text") set["size"] = patch.textSize;
      if (Object.keys(set).length > 0) this.editor.do({ k: "update", id, set });
    }
    this.editor.end();
  }

  /** Shows the style of the (first) selected element, so the panel says what you have. */
  private fromSelection(): void {
    const first = this.selection.list()[0];
    const el = first ? this.model.get(first) : undefined;
    if (!el || el.type === "frame") return;
    const patch: Patch = { stroke: el.stroke.slice(0, 7) };
    if (el.type !== "text" && el.type !== "note") patch.width = el.width;
    if (el.type === "rect" || el.type === "ellipse") patch.fill = el.fill !== undefined;
    if (el.type === "text") patch.textSize = el.size;
    this.style.update(patch);
  }

  private show(): void {
    const s = this.style;
    for (const b of this.swatches)
      b.setAttribute("aria-pressed", String(b.dataset["color"] === s.stroke));
    this.custom.value = s.stroke.slice(0, 7);
    for (const b of this.widthButtons)
      b.setAttribute("aria-pressed", String(Number(b.dataset["width"]) === s.width));
    this.fillButton.setAttribute("aria-pressed", String(s.fill));
    for (const b of this.sizeButtons)
      b.setAttribute("aria-pressed", String(Number(b.dataset["size"]) === s.textSize));
  }
}
