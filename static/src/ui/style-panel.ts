/**
 * Style pickers: palette plus a custom colour, three stroke widths, fill on/off, text size.
 * A change applies to new elements and, when something is selected, to the selection as one
 * undoable action. Selecting an element shows its style here.
 */
import { t } from "../i18n/i18n";
import type { Editor } from "../model/editor";
import type { Model } from "../model/model";
import type { UpdateSet } from "../model/types";
import type { Selection } from "../tools/selection";
import { fillFor, PALETTE, type StyleState, TEXT_SIZES, WIDTHS } from "../tools/style";
import { h } from "./dom";

type Patch = Partial<Pick<StyleState, "stroke" | "width" | "fill" | "textSize">>;

/** The palette's colours by name (style.colours.*), in PALETTE's order. */
const COLOUR_NAMES = ["black", "red", "green", "blue", "orange", "purple", "teal", "grey"];

export class StylePanel {
  private readonly swatches: HTMLButtonElement[] = [];
  private readonly custom: HTMLInputElement;
  private readonly widthButtons: HTMLButtonElement[] = [];
  private readonly fillButton: HTMLButtonElement;
  private readonly sizeButtons: HTMLButtonElement[] = [];
  readonly el: HTMLElement;

  constructor(
    parent: HTMLElement,
    private readonly style: StyleState,
    private readonly selection: Selection,
    private readonly model: Model,
    private readonly editor: Editor,
  ) {
    const panel = h("div", {
      class: "style panel",
      role: "group",
      id: "style-panel",
      "aria-label": t("style.label"),
    });
    this.el = panel;
    const colours = h("div", { class: "row", role: "group", "aria-label": t("style.colour") });
    PALETTE.forEach((c, i) => {
      const name = t("style.colourNamed", {
        hex: c,
        name: t(`style.colours.${COLOUR_NAMES[i] ?? "black"}`),
      });
      const b = h("button", {
        class: "swatch",
        type: "button",
        title: name,
        "aria-label": name,
        "data-color": c,
      });
      b.style.background = c;
      b.addEventListener("click", () => this.pick({ stroke: c }));
      this.swatches.push(b);
      colours.append(b);
    });
    this.custom = h("input", {
      type: "color",
      class: "custom-color",
      title: t("style.custom"),
      "aria-label": t("style.custom"),
    });
    this.custom.addEventListener("input", () => this.pick({ stroke: this.custom.value }));
    colours.append(this.custom);

    const widths = h("div", { class: "row", role: "group", "aria-label": t("style.width") });
    WIDTHS.forEach((w, i) => {
      const label = t(`style.${["thin", "medium", "thick"][i] ?? "medium"}`);
      const line = h("span", { class: "width-sample" });
      line.style.height = `${Math.max(1, w / 1.5)}px`;
      const b = h(
        "button",
        {
          class: "opt",
          type: "button",
          title: label,
          "aria-label": label,
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
      title: t("style.fillShapes"),
      "aria-label": t("style.fillShapes"),
      "aria-pressed": "false",
      text: t("style.fill"),
    });
    this.fillButton.addEventListener("click", () => this.pick({ fill: !this.style.fill }));
    widths.append(this.fillButton);

    const sizes = h("div", { class: "row", role: "group", "aria-label": t("style.textSize") });
    TEXT_SIZES.forEach((s, i) => {
      const label = t(`style.sizes.${["s", "m", "l", "xl"][i] ?? "m"}`);
      const b = h("button", {
        class: "opt",
        type: "button",
        title: t("style.textSizeNamed", { size: label }),
        "aria-label": t("style.textSizeNamed", { size: label }),
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
      if (!el || el.type === "frame" || el.type === "image") continue;
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
    if (!el || el.type === "frame" || el.type === "image") return;
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
