/** Zoom controls: out, the current zoom (click: 100 %), in, and zoom to fit. */
import { formatPercent, t } from "../i18n/i18n";
import type { Viewport } from "../render/viewport";
import { h, icon } from "./dom";
import { ICONS } from "./icons";

export class ZoomControls {
  constructor(parent: HTMLElement, viewport: Viewport, fit: () => void) {
    const button = (label: string, keys: string, ...content: (Node | string)[]) =>
      h("button", { type: "button", title: `${label} — ${keys}`, "aria-label": label }, ...content);
    const out = button(t("zoom.out"), "−", "−");
    const label = button(t("zoom.reset"), "Shift+0", formatPercent(1));
    // Named by what it shows (WCAG 2.5.3); what it does is its title.
    label.removeAttribute("aria-label");
    label.classList.add("zoom-level");
    label.dataset["testid"] = "zoom-level";
    const inn = button(t("zoom.in"), "+", "+");
    const fitButton = button(t("zoom.fit"), "Shift+1", icon(...ICONS.fit));
    out.addEventListener("click", () => viewport.zoomBy(1 / 1.25));
    inn.addEventListener("click", () => viewport.zoomBy(1.25));
    label.addEventListener("click", () => viewport.reset());
    fitButton.addEventListener("click", fit);
    viewport.onChange(() => {
      label.textContent = formatPercent(viewport.zoom);
    });
    parent.append(
      h(
        "div",
        { class: "zoom panel", role: "group", "aria-label": t("zoom.label") },
        out,
        label,
        inn,
        fitButton,
      ),
    );
  }
}
