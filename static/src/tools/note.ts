/**
 * Note (N): one click drops a sticky note of the last note colour, centred on the pointer, and
 * starts typing in it at once; clicking a note edits it. Without a size its text is fitted to
 * the note as it is typed (render/layout.ts).
 */
import type { NoteElement } from "../model/types";
import { fitSize, NOTE_PAD } from "../render/layout";
import type { Point } from "../render/viewport";
import { tolerance, type Tool, type ToolContext, type ToolPointer } from "./tool";

/** A new note's side, in board units. */
export const NOTE_SIDE = 200;
/** A new note's text colour (the palette restyles it like any stroke). */
export const NOTE_INK = "#1e1e1e";

export class NoteTool implements Tool {
  readonly name = "note" as const;
  readonly cursor = "crosshair";

  constructor(private readonly ctx: ToolContext) {}

  down(p: ToolPointer): void {
    const { renderer, viewport } = this.ctx;
    renderer.sync();
    const hit = renderer.index.hit(p.board, tolerance(viewport), undefined, (e) => !e.locked);
    if (hit?.type === "note") {
      void editNote(this.ctx, hit);
      return;
    }
    dropNote(this.ctx, p.board);
  }

  move(): void {}

  up(): void {}

  cancel(): void {}
}

/** Adds a note of the last colour centred on `at` and starts typing in it; false if refused. */
export function dropNote(ctx: ToolContext, at: Point): boolean {
  const el: NoteElement = {
    id: ctx.newId(),
    type: "note",
    x: at.x - NOTE_SIDE / 2,
    y: at.y - NOTE_SIDE / 2,
    w: NOTE_SIDE,
    h: NOTE_SIDE,
    fill: ctx.style.noteColor,
    stroke: NOTE_INK,
    text: "",
  };
  if (!ctx.editor.do({ k: "add", e: el })) return false;
  void editNote(ctx, el);
  return true;
}

/** Types into a note in place; the text is saved when typing ends. */
export async function editNote(ctx: ToolContext, el: NoteElement): Promise<void> {
  const w = Math.max(1, el.w - 2 * NOTE_PAD);
  const h = Math.max(1, el.h - 2 * NOTE_PAD);
  const text = await ctx.text.open({
    x: el.x + NOTE_PAD,
    y: el.y + NOTE_PAD,
    size: el.size ?? fitSize(el.text, w, h),
    color: el.stroke,
    text: el.text,
    box: { w, h },
    ...(el.size === undefined ? { fit: (t: string) => fitSize(t, w, h) } : {}),
    hideTextOf: el.id,
  });
  const now = ctx.model.get(el.id);
  if (text === null || !now || now.type !== "note" || now.locked) return;
  if (text !== now.text) ctx.editor.do({ k: "update", id: el.id, set: { text } });
}
