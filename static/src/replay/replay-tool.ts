/**
 * The pointer in the history view: the moment shown is read-only, so pressing and dragging
 * pans (input.ts treats this tool like the hand), and hovering an element says who last
 * changed it as of that moment.
 */
import { t } from "../i18n/i18n";
import type { Renderer } from "../render/renderer";
import type { Viewport } from "../render/viewport";
import { tolerance, type Tool, type ToolPointer } from "../tools/tool";
import type { AuthorTip } from "./author-tip";

export interface Authorship {
  /** Name and colour of whoever last touched `id` as of the moment shown, or null if unknown. */
  authorOf(id: string): { name: string; color: string } | null;
}

export class ReplayTool implements Tool {
  readonly name = "replay" as const;
  readonly cursor = "grab";

  constructor(
    private readonly renderer: Renderer,
    private readonly viewport: Viewport,
    private readonly tip: AuthorTip,
    private readonly who: Authorship,
  ) {}

  down(): void {
    this.tip.hide();
  }

  move(): void {}

  up(): void {}

  cancel(): void {
    this.tip.hide();
  }

  hover(p: ToolPointer): void {
    this.renderer.sync();
    const hit = this.renderer.index.hit(p.board, tolerance(this.viewport));
    if (!hit) {
      this.tip.hide();
      return;
    }
    const author = this.who.authorOf(hit.id);
    if (author) this.tip.show(p.screen.x, p.screen.y, author.name, author.color);
    else this.tip.show(p.screen.x, p.screen.y, t("history.whoLoading"), "#adb5bd");
  }

  cursorAt(p: ToolPointer): string {
    return this.renderer.index.hit(p.board, tolerance(this.viewport)) ? "help" : "grab";
  }

  deactivate(): void {
    this.tip.hide();
  }
}
