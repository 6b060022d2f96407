/**
 * The in-place text box. A textarea laid over the canvas at the text's board position, in the
 * same font, size (times the zoom) and colour, so typing looks like the result. Its value is
 * plain text by nature: nothing typed is ever parsed as markup. Finishing (Escape, Ctrl+Enter,
 * or clicking elsewhere) hands the text to the tool; the canvas draws it from then on.
 */
import { t } from "../i18n/i18n";
import { darkInk } from "../render/ink";
import type { Renderer } from "../render/renderer";
import { FONT_FAMILY, LINE_HEIGHT } from "../render/geometry";
import type { Viewport } from "../render/viewport";
import type { TextPrompt, TextPromptOptions } from "../tools/tool";
import { h } from "./dom";

interface Open {
  x: number;
  y: number;
  size: number;
  resolve: (text: string | null) => void;
  hideId: string | undefined;
  /** Set for text typed inside a box (notes, labels): centred and wrapped to it. */
  box: { w: number; h: number } | undefined;
  fit: ((text: string) => number) | undefined;
  hideTextOf: string | undefined;
}

export class TextEditor implements TextPrompt {
  private readonly area: HTMLTextAreaElement;
  private current: Open | null = null;

  constructor(
    parent: HTMLElement,
    private readonly viewport: Viewport,
    private readonly renderer: Renderer,
    private readonly maxChars: () => number,
  ) {
    this.area = h("textarea", {
      class: "text-editor",
      spellcheck: "false",
      "aria-label": t("text.label"),
      hidden: true,
      wrap: "off",
    });
    this.area.addEventListener("keydown", (e) => {
      e.stopPropagation();
      if (e.key === "Escape" || (e.key === "Enter" && (e.ctrlKey || e.metaKey))) {
        e.preventDefault();
        this.commit();
      }
    });
    this.area.addEventListener("input", () => {
      const cur = this.current;
      if (cur?.fit) {
        cur.size = cur.fit(this.area.value);
        this.place();
      } else this.fit();
    });
    this.area.addEventListener("blur", () => this.commit());
    viewport.onChange(() => this.place());
    parent.append(this.area);
  }

  get active(): boolean {
    return this.current !== null;
  }

  open(opts: TextPromptOptions): Promise<string | null> {
    this.commit();
    return new Promise((resolve) => {
      this.current = {
        x: opts.x,
        y: opts.y,
        size: opts.fit ? opts.fit(opts.text) : opts.size,
        resolve,
        hideId: opts.hideId,
        box: opts.box,
        fit: opts.fit,
        hideTextOf: opts.hideTextOf,
      };
      if (opts.hideId) this.renderer.hidden.add(opts.hideId);
      if (opts.hideTextOf) this.renderer.textHidden.add(opts.hideTextOf);
      this.renderer.invalidate();
      this.area.classList.toggle("boxed", opts.box !== undefined);
      this.area.wrap = opts.box ? "soft" : "off";
      this.area.maxLength = this.maxChars();
      this.area.value = opts.text;
      // As the board shows it: black ink is light on the dark board (render/ink.ts).
      this.area.style.color = this.renderer.dark ? darkInk(opts.color) : opts.color;
      this.area.hidden = false;
      this.place();
      // At once, so not a keystroke typed right after the click is lost (input.ts prevents the
      // mousedown that would otherwise take the focus back to the page).
      this.area.focus();
      this.area.setSelectionRange(this.area.value.length, this.area.value.length);
    });
  }

  commit(): void {
    const cur = this.current;
    if (!cur) return;
    this.current = null;
    const text = this.area.value.replace(/\s+$/u, "");
    this.area.hidden = true;
    this.area.value = "";
    if (cur.hideId) this.renderer.hidden.delete(cur.hideId);
    if (cur.hideTextOf) this.renderer.textHidden.delete(cur.hideTextOf);
    this.renderer.invalidate();
    cur.resolve(text);
  }

  private place(): void {
    const cur = this.current;
    if (!cur) return;
    const s = this.viewport.toScreen(cur.x, cur.y);
    const px = cur.size * this.viewport.zoom;
    const st = this.area.style;
    st.left = `${s.x}px`;
    st.top = `${s.y}px`;
    st.font = `${px}px ${FONT_FAMILY}`;
    st.lineHeight = String(LINE_HEIGHT);
    this.fit();
  }

  /** Grows the box with its content, so it never shows scroll bars. A box of fixed size (a
   * note, a label) instead keeps its size and centres the text vertically in it. */
  private fit(): void {
    const st = this.area.style;
    const box = this.current?.box;
    if (box) {
      const z = this.viewport.zoom;
      st.width = `${box.w * z}px`;
      st.height = "auto";
      st.paddingTop = "0px";
      const content = this.area.scrollHeight;
      const pad = Math.max(0, (box.h * z - content) / 2);
      st.paddingTop = `${pad}px`;
      st.height = `${Math.max(box.h * z, content) - pad}px`;
      return;
    }
    st.width = "1px";
    st.height = "1px";
    st.width = `${this.area.scrollWidth + 24}px`;
    st.height = `${this.area.scrollHeight}px`;
  }
}
