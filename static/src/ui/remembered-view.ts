/**
 * Remembers where you were on each board (pan and zoom) in this browser, so a reload or a
 * return visit opens the board where you left it rather than at the origin.
 */
import type { Viewport } from "../render/viewport";
import { load, save } from "../util/storage";

const KEY = "wb.view.";

export function rememberView(board: string, viewport: Viewport): void {
  const saved = load<unknown>(KEY + board, null);
  if (saved && typeof saved === "object") {
    const { x, y, zoom } = saved as Record<string, unknown>;
    if (
      typeof x === "number" &&
      typeof y === "number" &&
      typeof zoom === "number" &&
      [x, y, zoom].every(Number.isFinite)
    ) {
      viewport.set(x, y, zoom);
    }
  }
  let timer: ReturnType<typeof setTimeout> | null = null;
  viewport.onChange(() => {
    // Viewport changes come once per frame while panning: write once it has settled.
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(
      () => save(KEY + board, { x: viewport.x, y: viewport.y, zoom: viewport.zoom }),
      300,
    );
  });
}
