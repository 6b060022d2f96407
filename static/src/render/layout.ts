/**
 * Where the text of notes and shape labels breaks into lines, and how big a note's text is when
 * it has no `size` (PROTOCOL.md 1.1: the client fits it to the note).
 *
 * Line breaks come from a fixed table of character widths, not from measuring the font: the
 * server's export.svg (whiteboard/export/layout.py) must break the same text at the same
 * places, and it cannot measure a font. tests/vectors/layout.json holds both to the same lines.
 * Each line is then drawn centred with the real font, so only the breaks are estimated.
 */
import type { Element, NoteElement, ShapeElement } from "../model/types";
import { LABEL_SIZE } from "../model/validate";

export const LINE_HEIGHT = 1.25;
/** Board units between a note's edge and its text. */
export const NOTE_PAD = 12;
/** Board units between a shape's edge and its label. */
export const LABEL_PAD = 8;
/** Font sizes tried, largest first, when a note's text is fitted to it. */
export const FIT_SIZES = [72, 60, 48, 40, 32, 28, 24, 20, 18, 16, 14, 12, 10, 8, 6] as const;
/** The width of the box inscribed in an ellipse, as a share of the ellipse's width (√½). */
const INSCRIBED = 0.7071067811865476;

const NARROW = new Set("ijl|!.,:;'`I");
const SLIM = new Set('frt()[]{}-"/\\');
const WIDE = new Set("mwMW@%");

/** Estimated advance of one code point, in ems. */
export function charWidth(ch: string): number {
  if (ch === " ") return 0.3;
  if (NARROW.has(ch)) return 0.3;
  if (SLIM.has(ch)) return 0.4;
  if (WIDE.has(ch)) return 0.9;
  const cp = ch.codePointAt(0) ?? 0;
  if (cp >= 0x2e80) return 1;
  if (ch >= "A" && ch <= "Z") return 0.7;
  return 0.6;
}

/** Estimated width of `s` at font size `size`: the sum of its characters' ems, times size. */
export function textWidth(s: string, size: number): number {
  let em = 0;
  for (const ch of s) em += charWidth(ch);
  return em * size;
}

/**
 * Greedy word wrap of `text` to `max` board units at `size`: paragraphs at "\n", words at
 * " ", and a word wider than a line broken between characters. An empty paragraph is an
 * empty line.
 */
export function wrap(text: string, size: number, max: number): string[] {
  const out: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    let started = false;
    for (const word of paragraph.split(" ")) {
      const candidate = started ? line + " " + word : word;
      if (textWidth(candidate, size) <= max) {
        line = candidate;
        started = true;
        continue;
      }
      if (started) out.push(line);
      if (textWidth(word, size) <= max) {
        line = word;
      } else {
        let chunk = "";
        for (const ch of word) {
          if (chunk !== "" && textWidth(chunk + ch, size) > max) {
            out.push(chunk);
            chunk = ch;
          } else chunk += ch;
        }
        line = chunk;
      }
      started = true;
    }
    out.push(line);
  }
  return out;
}

export interface TextBlock {
  lines: string[];
  size: number;
  /** Centre of the block, in board units. */
  cx: number;
  cy: number;
}

function fits(lines: string[], size: number, w: number, h: number): boolean {
  if (lines.length * size * LINE_HEIGHT > h) return false;
  return lines.every((l) => textWidth(l, size) <= w);
}

/** The largest of FIT_SIZES at which `text` fits a `w` by `h` box (the smallest if none does). */
export function fitSize(text: string, w: number, h: number): number {
  for (const size of FIT_SIZES) if (fits(wrap(text, size, w), size, w, h)) return size;
  return FIT_SIZES[FIT_SIZES.length - 1] as number;
}

/** A note's text, laid out: wrapped inside its padding, fitted when it has no size. */
export function noteLayout(el: NoteElement): TextBlock | null {
  if (el.text === "") return null;
  const w = Math.max(0, el.w - 2 * NOTE_PAD);
  const h = Math.max(0, el.h - 2 * NOTE_PAD);
  const size = el.size ?? fitSize(el.text, w, h);
  return { lines: wrap(el.text, size, w), size, cx: el.x + el.w / 2, cy: el.y + el.h / 2 };
}

/** A rect's or ellipse's label, wrapped to the box inside it; null without a label. */
export function labelLayout(el: ShapeElement): TextBlock | null {
  if (el.text === undefined || el.text === "") return null;
  const size = el.size ?? LABEL_SIZE;
  const inner = el.type === "ellipse" ? Math.abs(el.w) * INSCRIBED : Math.abs(el.w);
  const w = Math.max(0, inner - 2 * LABEL_PAD);
  return { lines: wrap(el.text, size, w), size, cx: el.x + el.w / 2, cy: el.y + el.h / 2 };
}

const blocks = new WeakMap<Element, TextBlock | null>();

/** The text an element shows in its middle, if any (notes, labelled shapes), laid out once per
 * element version (elements are never changed in place). */
export function textBlock(el: Element): TextBlock | null {
  let b = blocks.get(el);
  if (b === undefined) {
    b =
      el.type === "note"
        ? noteLayout(el)
        : el.type === "rect" || el.type === "ellipse"
          ? labelLayout(el)
          : null;
    blocks.set(el, b);
  }
  return b;
}

/**
 * Where a line's alphabetic baseline sits below its middle, in ems: capitals are centred on the
 * middle. A fixed share rather than the font's own "middle", which canvas and SVG place apart.
 */
export const BASELINE_SHIFT = 0.35;

/**
 * The y of the baseline of line `i` of a block, on a whole board unit: canvas and SVG round a
 * baseline between two pixels differently, so none is left there.
 */
export const lineY = (b: TextBlock, i: number): number =>
  Math.floor(
    b.cy + (i - (b.lines.length - 1) / 2) * b.size * LINE_HEIGHT + BASELINE_SHIFT * b.size + 0.5,
  );
