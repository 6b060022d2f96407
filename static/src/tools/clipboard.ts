/**
 * Copy, cut and paste (Ctrl+C, Ctrl+X, Ctrl+V) within a board and between boards and tabs.
 *
 * The clipboard gets the selection (and what lies inside its frames) as our own payload, as
 * plain text (`text/plain`, a JSON object naming itself) and, where the browser takes it, as
 * `web application/x-whiteboard`; and a PNG and an SVG of it for pasting into a chat or a
 * document. A paste reads the text payload back, checks every element as the server would
 * (a clipboard is anyone's input), and adds copies with new ids centred on the pointer, as one
 * undoable action. Pictures pasted on another board than theirs are first copied to it: their
 * bytes are read from the board they came from and uploaded to this one (net/blobs.ts), since an
 * `add` naming a blob the board does not hold is refused.
 */
import { blobUrl, sniffImageType, uploadBlob } from "../net/blobs";
import { splitAdd } from "../model/split";
import type { Element } from "../model/types";
import { BOARD_PATTERN, parseElement } from "../model/validate";
import { renderPng } from "../render/export-png";
import { renderSvg } from "../render/export-svg";
import { bounds, unionBox } from "../render/geometry";
import { SceneIndex, type SceneSource } from "../render/scene";
import type { Box, Point } from "../render/viewport";
import { selectionAsDrawn } from "./arrange";
import { cloneAll } from "./clone";
import type { ToolContext } from "./tool";
import { typing } from "../util/focus";

export const CLIPBOARD_TYPE = "web application/x-whiteboard";
const MARK = "whiteboard/elements";
const PNG_SCALE = 2;
const MARGIN = 16;

interface Payload {
  whiteboard: typeof MARK;
  v: 1;
  /** The board the elements were copied from: where their pictures' bytes are. */
  board: string;
  elements: Element[];
}

/** What a paste brings: the elements, and the board their pictures are stored on. */
export interface Pasted {
  board: string;
  elements: Element[];
}

/** A list of elements as a scene (for the PNG of a selection). */
function listSource(els: readonly Element[]): SceneSource {
  const byId = new Map(els.map((e) => [e.id, e]));
  const rank = new Map(els.map((e, i) => [e.id, i]));
  return {
    get: (id) => byId.get(id),
    forEach: (fn) => els.forEach(fn),
    rank: (id) => rank.get(id) ?? 0,
    onChange: () => () => {},
  };
}

export class Clipboard {
  constructor(
    private readonly ctx: ToolContext,
    /** This board, and its edit key (uploads of pasted pictures need it). */
    private readonly board: string,
    private readonly key: string | null,
    /** Where the pointer is on the board (null: not over it): pastes are centred there. */
    private readonly pointer: () => Point | null,
    /** False while the board cannot be edited (the history is shown). */
    private readonly editable: () => boolean,
  ) {}

  /** Listens to the browser's copy, cut and paste (the keyboard shortcuts and menus). */
  install(): void {
    document.addEventListener("copy", (e) => this.onCopy(e, false));
    document.addEventListener("cut", (e) => this.onCopy(e, true));
    // Captured on the window, before the picture paste (ui/insert-image.ts) hears it: the PNG
    // that travels with our own payload is for other programs, not a picture to add here.
    window.addEventListener(
      "paste",
      (e) => {
        if (typing(e.target) || !this.editable()) return;
        const text = e.clipboardData?.getData("text/plain") ?? "";
        const pasted = this.parse(text);
        if (pasted === null) return;
        e.preventDefault();
        e.stopPropagation();
        void this.paste(pasted);
      },
      { capture: true },
    );
  }

  /** The text payload of some elements. */
  static payload(board: string, els: readonly Element[]): string {
    const p: Payload = { whiteboard: MARK, v: 1, board, elements: [...els] };
    return JSON.stringify(p);
  }

  private onCopy(e: ClipboardEvent, cut: boolean): void {
    if (typing(e.target) || this.ctx.selection.size === 0) return;
    const els = selectionAsDrawn(this.ctx);
    if (els.length === 0 || !e.clipboardData) return;
    const text = Clipboard.payload(this.board, els);
    e.clipboardData.setData("text/plain", text);
    e.preventDefault();
    void this.writeRich(els, text);
    if (cut && this.editable()) {
      const ids = els.filter((el) => !el.locked).map((el) => el.id);
      this.ctx.editor.deleteAll(ids);
    }
  }

  /**
   * Replaces the plain text with the richer set (our type, a PNG, an SVG) where the browser's
   * asynchronous clipboard allows it; where it does not, the plain text stays.
   */
  private async writeRich(els: readonly Element[], text: string): Promise<void> {
    if (!navigator.clipboard?.write || typeof ClipboardItem === "undefined") return;
    let box: Box | null = null;
    for (const el of els) box = unionBox(box, bounds(el));
    if (!box) return;
    const framed = {
      minX: box.minX - MARGIN,
      minY: box.minY - MARGIN,
      maxX: box.maxX + MARGIN,
      maxY: box.maxY + MARGIN,
    };
    const plain = els.map((e) => {
      const c = { ...e };
      delete c.z;
      return c as Element;
    });
    const png = renderPng(new SceneIndex(listSource(plain)), framed, PNG_SCALE);
    const svg = new Blob([renderSvg(plain, framed)], { type: "image/svg+xml" });
    const ours = new Blob([text], { type: "text/plain" });
    const base: Record<string, Blob | Promise<Blob>> = { "text/plain": ours, "image/png": png };
    const tries: Record<string, Blob>[] = [
      { [CLIPBOARD_TYPE]: new Blob([text], { type: CLIPBOARD_TYPE }), "image/svg+xml": svg },
      { "image/svg+xml": svg },
      {},
    ];
    for (const extra of tries) {
      try {
        await navigator.clipboard.write([new ClipboardItem({ ...base, ...extra })]);
        return;
      } catch {
        // This browser refuses one of the types: try with fewer.
      }
    }
  }

  /** The elements of a clipboard text, or null when it is not ours. Invalid ones are dropped. */
  parse(text: string): Pasted | null {
    if (!text.includes(MARK)) return null;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return null;
    }
    const p = raw as Partial<Payload> | null;
    if (!p || p.whiteboard !== MARK || !Array.isArray(p.elements)) return null;
    const board = typeof p.board === "string" && BOARD_PATTERN.test(p.board) ? p.board : null;
    const out: Element[] = [];
    for (const e of p.elements) {
      const parsed = parseElement(e, this.ctx.model.limits);
      // A picture can only come with the board that holds its bytes.
      if (parsed.ok && (parsed.value.type !== "image" || board !== null)) out.push(parsed.value);
    }
    return { board: board ?? this.board, elements: out };
  }

  /**
   * Copies the pictures of `from` to this board (each blob once) and answers, for each, the name
   * this board holds it under (the same bytes give the same name; a server that stores them
   * otherwise names them otherwise); a picture that could not be copied is left out.
   */
  private async copyBlobs(from: string, els: readonly Element[]): Promise<Map<string, string>> {
    const blobs = new Set(els.flatMap((e) => (e.type === "image" ? [e.blob] : [])));
    const held = new Map<string, string>();
    if (from === this.board) {
      for (const b of blobs) held.set(b, b);
      return held;
    }
    await Promise.all(
      [...blobs].map(async (blob) => {
        try {
          const res = await fetch(blobUrl(from, blob));
          if (!res.ok) return;
          const data = await res.blob();
          const type = sniffImageType(new Uint8Array(await data.slice(0, 16).arrayBuffer()));
          if (!type) return;
          const stored = await uploadBlob(this.board, data, type, this.key).done;
          held.set(blob, stored.blob);
        } catch {
          // Not readable there or refused here: the paste goes on without this picture.
        }
      }),
    );
    return held;
  }

  /** Adds copies of the pasted elements centred on the pointer (where it is when the paste
   * began), as one undoable action, and selects them. */
  async paste(pasted: Pasted): Promise<void> {
    const { editor, model, selection, viewport } = this.ctx;
    const vp = viewport.visible();
    const at = this.pointer() ?? { x: (vp.minX + vp.maxX) / 2, y: (vp.minY + vp.maxY) / 2 };
    const held = await this.copyBlobs(pasted.board, pasted.elements);
    const els: Element[] = [];
    for (const e of pasted.elements) {
      const blob = e.type === "image" ? held.get(e.blob) : undefined;
      if (e.type !== "image") els.push(e);
      else if (blob !== undefined) els.push({ ...e, blob });
    }
    if (els.length === 0 || !this.editable()) return;
    let box: Box | null = null;
    for (const el of els) box = unionBox(box, bounds(el));
    const b = box as Box;
    const dx = at.x - (b.minX + b.maxX) / 2;
    const dy = at.y - (b.minY + b.maxY) / 2;
    const copies = cloneAll(els, () => this.ctx.newId(), dx, dy);
    editor.begin();
    const added: string[] = [];
    for (const copy of copies) {
      const [first, ...rest] = splitAdd(copy, model.limits);
      if (!first || !editor.do(first)) continue;
      for (const op of rest) editor.do(op);
      added.push(copy.id);
    }
    editor.end();
    if (added.length > 0) {
      this.ctx.setTool("select");
      selection.set(added);
    }
  }
}
