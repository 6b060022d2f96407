/** Zoom controls: out, the current zoom (click: 100 %), in, and zoom to fit. */
import type { Viewport } from "../render/viewport";
import { h, icon } from "./dom";
import { ICONS } from "./icons";

export class ZoomControls {
  constructor(parent: HTMLElement, viewport: Viewport, fit: () => void) {
    const out = h("button", {
      type: "button",
      title: "Zoom out — −",
      "aria-label": "Zoom out",
      text: "−",
    });
    const label = h("button", {
      type: "button",
      class: "zoom-level",
      title: "Reset zoom — Shift+0",
      "aria-label": "Reset zoom",
      "data-testid": "zoom-level",
      text: "100%",
    });
    const inn = h("button", {
      type: "button",
      title: "Zoom in — +",
      "aria-label": "Zoom in",
      text: "+",
    });
    const fitButton = h(
      "button",
      { type: "button", title: "Zoom to fit — Shift+1", "aria-label": "Zoom to fit" },
      icon(...ICONS.fit),
    );
    out.addEventListener("click", () => viewport.zoomBy(1 / 1.25));
    inn.addEventListener("click", () => viewport.zoomBy(1.25));
    label.addEventListener("click", () => viewport.reset());
    fitButton.addEventListener("click", fit);
    viewport.onChange(() => {
      label.textContent = `${Math.round(viewport.zoom * 100)}%`;
    });
    parent.append(h("div", { class: "zoom panel" }, out, label, inn, fitButton));
  }
}
