/**
 * Text: click to type in place. The typing happens in a textarea over the canvas (whose value
 * is plain text by nature); the committed text becomes an element drawn on the canvas. Clicking
 * an existing text edits it instead.
 */
import type { TextElement } from "../model/types";
import { tolerance, type Tool, type ToolContext, type ToolPointer } from "./tool";

export class TextTool implements Tool {
  readonly name = "text" as const;
  readonly cursor = "text";

  constructor(private readonly ctx: ToolContext) {}

  down(p: ToolPointer): void {
    this.ctx.renderer.sync();
    const hit = this.ctx.renderer.index.hit(p.board, tolerance(this.ctx.viewport));
    if (hit?.type === "text") {
      void editText(this.ctx, hit);
      return;
    }
    const { style } = this.ctx;
    // The click marks the middle of the first line, which is where people aim.
    const at = { x: p.board.x, y: p.board.y - (style.textSize * 1.25) / 2 };
    void this.ctx.text
      .open({ x: at.x, y: at.y, size: style.textSize, color: style.stroke, text: "" })
      .then((text) => {
        if (!text) return;
        const el: TextElement = {
          id: this.ctx.newId(),
          type: "text",
          x: at.x,
          y: at.y,
          stroke: style.stroke,
          text,
          size: style.textSize,
        };
        this.ctx.editor.do({ k: "add", e: el });
      });
  }

  move(): void {}

  up(): void {}

  cancel(): void {}
}

/** Opens the editor on an existing text element; an emptied text is deleted. */
export async function editText(ctx: ToolContext, el: TextElement): Promise<void> {
  const text = await ctx.text.open({
    x: el.x,
    y: el.y,
    size: el.size,
    color: el.stroke,
    text: el.text,
    hideId: el.id,
  });
  const now = ctx.model.get(el.id);
  if (!now || now.type !== "text") return;
  if (text === null || text === "") {
    if (text === "") ctx.editor.do({ k: "delete", ids: [el.id] });
    return;
  }
  if (text !== now.text) ctx.editor.do({ k: "update", id: el.id, set: { text } });
}
