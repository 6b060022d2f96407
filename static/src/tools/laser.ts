/**
 * Laser: press and move to point; a trail in your colour fades behind the pointer for everyone.
 * It emits no op (nothing is stored, nothing to undo): each point goes to `ctx.laser`, which the
 * page draws and sends.
 */
import type { Tool, ToolContext, ToolPointer } from "./tool";

export class LaserTool implements Tool {
  readonly name = "laser" as const;
  readonly cursor = "crosshair";
  private down_ = false;

  constructor(private readonly ctx: ToolContext) {}

  down(p: ToolPointer): void {
    this.down_ = true;
    this.ctx.laser?.(p.board.x, p.board.y);
  }

  move(p: ToolPointer): void {
    if (!this.down_) return;
    for (const s of p.samples) this.ctx.laser?.(s.board.x, s.board.y);
    if (p.samples.length === 0) this.ctx.laser?.(p.board.x, p.board.y);
  }

  up(): void {
    this.down_ = false;
  }

  cancel(): void {
    this.down_ = false;
  }
}
