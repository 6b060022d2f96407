/** Hand: drag to pan the board (space+drag and two fingers do the same from any tool). */
import type { Point } from "../render/viewport";
import type { Tool, ToolContext, ToolPointer } from "./tool";

export class HandTool implements Tool {
  readonly name = "hand" as const;
  readonly cursor = "grab";
  private last: Point | null = null;

  constructor(private readonly ctx: ToolContext) {}

  down(p: ToolPointer): void {
    this.last = p.screen;
  }

  move(p: ToolPointer): void {
    if (!this.last) return;
    this.ctx.viewport.panBy(p.screen.x - this.last.x, p.screen.y - this.last.y);
    this.last = p.screen;
  }

  up(): void {
    this.last = null;
  }

  cancel(): void {
    this.last = null;
  }
}
