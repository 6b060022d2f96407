/**
 * The current drawing style. New elements take it; changing it while something is selected
 * restyles the selection too (that part lives in ui/style-panel.ts).
 */
export const PALETTE = [
  "#1e1e1e",
  "#e03131",
  "#2f9e44",
  "#1971c2",
  "#f08c00",
  "#9c36b5",
  "#0c8599",
  "#868e96",
];
export const WIDTHS = [2, 4, 8] as const;
export const TEXT_SIZES = [16, 24, 36, 56] as const;
/** The six sticky note colours (PROTOCOL.md 1.1 `note.fill`), as render/structure.ts draws. */
export { NOTE_COLORS } from "../render/structure";

export class StyleState {
  stroke = PALETTE[0] as string;
  width: number = WIDTHS[1];
  fill = false;
  textSize: number = TEXT_SIZES[1];
  /** The colour of the next sticky note: the last one picked. */
  noteColor = "#ffec99";
  private readonly listeners: (() => void)[] = [];

  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  update(
    patch: Partial<Pick<StyleState, "stroke" | "width" | "fill" | "textSize" | "noteColor">>,
  ): void {
    Object.assign(this, patch);
    for (const fn of this.listeners) fn();
  }
}

/** The fill used for "fill on": the stroke colour, light enough to keep the outline readable. */
export function fillFor(stroke: string): string {
  return stroke.slice(0, 7) + "33";
}
