/**
 * Frame (F): drag out a named area (a slide, a section). It is named "Frame N" at once, and
 * renamed by a double click on its name with the select tool. Frames are drawn below
 * everything; moving one moves what lies inside it (select.ts).
 */
import { t } from "../i18n/i18n";
import type { FrameElement } from "../model/types";
import { FRAME_NAME_MAX } from "../model/validate";
import { FRAME_NAME_COLOR, FRAME_NAME_GAP, FRAME_NAME_SIZE } from "../render/structure";
import type { Point } from "../render/viewport";
import type { Tool, ToolContext, ToolPointer } from "./tool";

const START_PX = 3;

export class FrameTool implements Tool {
  readonly name = "frame" as const;
  readonly cursor = "crosshair";
  private origin: { board: Point; screen: Point } | null = null;
  private id: string | null = null;

  constructor(private readonly ctx: ToolContext) {}

  down(p: ToolPointer): void {
    this.origin = { board: p.board, screen: p.screen };
    this.id = null;
  }

  move(p: ToolPointer): void {
    const o = this.origin;
    if (!o) return;
    const box = {
      x: Math.min(o.board.x, p.board.x),
      y: Math.min(o.board.y, p.board.y),
      w: Math.max(1, Math.abs(p.board.x - o.board.x)),
      h: Math.max(1, Math.abs(p.board.y - o.board.y)),
    };
    const { editor, model } = this.ctx;
    if (this.id === null) {
      if (Math.hypot(p.screen.x - o.screen.x, p.screen.y - o.screen.y) < START_PX) return;
      const el: FrameElement = {
        id: this.ctx.newId(),
        type: "frame",
        ...box,
        name: frameName(this.ctx),
      };
      editor.begin();
      if (editor.do({ k: "add", e: el })) this.id = el.id;
      else {
        editor.end();
        this.origin = null;
      }
      return;
    }
    if (model.has(this.id)) editor.do({ k: "update", id: this.id, set: box });
  }

  up(p: ToolPointer): void {
    this.move(p);
    this.cancel();
  }

  cancel(): void {
    if (this.id !== null) {
      this.ctx.editor.end();
      this.ctx.selection.set([this.id]);
    }
    this.origin = null;
    this.id = null;
  }
}

/** "Frame N" for the next frame, N counting the frames on the board. */
export function frameName(ctx: ToolContext): string {
  let frames = 0;
  ctx.model.forEach((e) => (frames += e.type === "frame" ? 1 : 0));
  return t("frames.name", { n: frames + 1 });
}

/** Renames a frame in place, over its name. */
export async function renameFrame(ctx: ToolContext, el: FrameElement): Promise<void> {
  const text = await ctx.text.open({
    x: el.x,
    y: el.y - FRAME_NAME_GAP - FRAME_NAME_SIZE,
    size: FRAME_NAME_SIZE,
    color: FRAME_NAME_COLOR,
    text: el.name,
    hideTextOf: el.id,
  });
  const now = ctx.model.get(el.id);
  if (!text || !now || now.type !== "frame" || now.locked) return;
  const name = [...text.replace(/\s+/gu, " ")].slice(0, FRAME_NAME_MAX).join("");
  if (name !== now.name) ctx.editor.do({ k: "update", id: el.id, set: { name } });
}
