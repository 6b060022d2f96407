/**
 * SVG of a few elements, for the clipboard (a copied selection pasted into a chat or a
 * document). The same drawing as the server's export.svg (whiteboard/export/svg.py): pens as
 * polylines through their points, attached ends and labels as the app draws them. Every user
 * string is escaped: nothing of an element is ever markup.
 */
import type { Element } from "../model/types";
import { arrowHead, FONT_FAMILY, LINE_HEIGHT } from "./geometry";
import { lineY, textBlock, type TextBlock } from "./layout";
import { penPoints } from "./geometry";
import {
  FRAME_EDGE,
  FRAME_FILL,
  FRAME_NAME_COLOR,
  FRAME_NAME_GAP,
  FRAME_NAME_SIZE,
} from "./structure";
import type { Box } from "./viewport";

/** The first baseline of a text element below its top, in ems (the canvas draws from the top). */
const TOP_BASELINE = 0.78;
const n = (v: number): string => String(Math.round(v * 100) / 100);
const esc = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const font = esc(FONT_FAMILY);

function stroke(el: { stroke: string; width: number }): string {
  return ` stroke="${esc(el.stroke)}" stroke-width="${n(el.width)}" stroke-linecap="round" stroke-linejoin="round"`;
}

function block(b: TextBlock, color: string): string {
  return b.lines
    .map((line, i) =>
      line === ""
        ? ""
        : `<text x="${n(b.cx)}" y="${n(lineY(b, i))}" font-size="${n(b.size)}" font-family="${font}" fill="${esc(color)}" text-anchor="middle" xml:space="preserve">${esc(line)}</text>`,
    )
    .join("");
}

/** One element (lines already resolved: attached ends where they are drawn). */
export function elementSvg(el: Element): string {
  switch (el.type) {
    case "pen": {
      const pts = penPoints(el);
      const xy: string[] = [];
      for (let i = 0; i < pts.length; i += 2)
        xy.push(`${n(pts[i] as number)},${n(pts[i + 1] as number)}`);
      if (xy.length === 1) {
        const [x, y] = xy[0]?.split(",") ?? ["0", "0"];
        return `<circle cx="${x}" cy="${y}" r="${n(el.width / 2)}" fill="${esc(el.stroke)}"/>`;
      }
      return `<polyline points="${xy.join(" ")}" fill="none"${stroke(el)}/>`;
    }
    case "line":
    case "arrow": {
      const x1 = el.x + el.w;
      const y1 = el.y + el.h;
      let out = `<line x1="${n(el.x)}" y1="${n(el.y)}" x2="${n(x1)}" y2="${n(y1)}"${stroke(el)}/>`;
      if (el.type === "arrow" && (el.w !== 0 || el.h !== 0)) {
        const a = Math.atan2(el.h, el.w);
        const len = Math.min(arrowHead(el.width), Math.hypot(el.w, el.h) * 0.5 + el.width);
        const wing = (side: number): string => {
          const b = a + Math.PI + (side * Math.PI) / 7;
          return `${n(x1 + len * Math.cos(b))},${n(y1 + len * Math.sin(b))}`;
        };
        out += `<polyline points="${wing(-1)} ${n(x1)},${n(y1)} ${wing(1)}" fill="none"${stroke(el)}/>`;
      }
      return out;
    }
    case "rect":
    case "ellipse": {
      const fill = el.fill ? esc(el.fill) : "none";
      const label = textBlock(el);
      const shape =
        el.type === "rect"
          ? `<rect x="${n(Math.min(el.x, el.x + el.w))}" y="${n(Math.min(el.y, el.y + el.h))}" width="${n(Math.abs(el.w))}" height="${n(Math.abs(el.h))}" fill="${fill}"${stroke(el)}/>`
          : `<ellipse cx="${n(el.x + el.w / 2)}" cy="${n(el.y + el.h / 2)}" rx="${n(Math.abs(el.w) / 2)}" ry="${n(Math.abs(el.h) / 2)}" fill="${fill}"${stroke(el)}/>`;
      return shape + (label ? block(label, el.stroke) : "");
    }
    case "text":
      return el.text
        .split("\n")
        .map(
          (line, i) =>
            `<text x="${n(el.x)}" y="${n(el.y + (i * LINE_HEIGHT + TOP_BASELINE) * el.size)}" font-size="${n(el.size)}" font-family="${font}" fill="${esc(el.stroke)}" xml:space="preserve">${esc(line)}</text>`,
        )
        .join("");
    case "note": {
      const b = textBlock(el);
      return (
        `<rect x="${n(el.x)}" y="${n(el.y)}" width="${n(el.w)}" height="${n(el.h)}" fill="${esc(el.fill)}"/>` +
        (b ? block(b, el.stroke) : "")
      );
    }
    case "frame":
      return (
        `<rect x="${n(el.x)}" y="${n(el.y)}" width="${n(el.w)}" height="${n(el.h)}" fill="${FRAME_FILL}" stroke="${FRAME_EDGE}" stroke-width="1"/>` +
        `<text x="${n(el.x)}" y="${n(el.y - FRAME_NAME_GAP)}" font-size="${FRAME_NAME_SIZE}" font-family="${font}" fill="${FRAME_NAME_COLOR}" xml:space="preserve">${esc(el.name)}</text>`
      );
    default:
      return "";
  }
}

/** A standalone SVG document of `elements` (in drawing order) showing `box`. */
export function renderSvg(elements: readonly Element[], box: Box): string {
  const w = Math.max(1, box.maxX - box.minX);
  const h = Math.max(1, box.maxY - box.minY);
  const body = elements.map(elementSvg).join("\n");
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="${n(box.minX)} ${n(box.minY)} ${n(w)} ${n(h)}" width="${n(w)}" height="${n(h)}">\n` +
    `<rect x="${n(box.minX)}" y="${n(box.minY)}" width="${n(w)}" height="${n(h)}" fill="#ffffff"/>\n${body}\n</svg>\n`
  );
}
