/**
 * Ink on a dark board. Dark and near-black strokes would vanish on a dark background, so on
 * screen every colour has its lightness turned over while its hue and saturation stay (what
 * Excalidraw's dark mode does with a CSS invert and hue turn): black ink shows near-white, a
 * light yellow fill turns deep, a mid red stays red. Only the screen changes: the model, the
 * wire and the exports (PNG, SVG) keep the colours as they were drawn.
 */

const cache = new Map<string, string>();

/** `#rrggbb` or `#rrggbbaa` for the dark board; anything else is returned as it is. */
export function darkInk(color: string): string {
  let out = cache.get(color);
  if (out !== undefined) return out;
  out = invert(color);
  if (cache.size > 1000) cache.clear();
  cache.set(color, out);
  return out;
}

function invert(color: string): string {
  const m = /^#([0-9a-f]{6})([0-9a-f]{2})?$/i.exec(color);
  if (!m) return color;
  const hex = m[1] as string;
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255) as [
    number,
    number,
    number,
  ];
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const l = (max + min) / 2;
  const d = max - min;
  const s = d === 0 ? 0 : d / (1 - Math.abs(2 * l - 1));
  let hue = 0;
  if (d !== 0) {
    if (max === r) hue = ((g - b) / d + 6) % 6;
    else if (max === g) hue = (b - r) / d + 2;
    else hue = (r - g) / d + 4;
  }
  // Lightness turned over, kept off pure white (93 %, like Excalidraw's invert) so strokes do
  // not glare, and mid tones lifted a little: a blue of lightness 0.4 must read on #121212.
  const l2 = Math.min(0.93, Math.max(0.07, 1 - l * 0.93 + (l > 0.3 && l < 0.6 ? 0.08 : 0)));
  const c = (1 - Math.abs(2 * l2 - 1)) * s;
  const x = c * (1 - Math.abs((hue % 2) - 1));
  const mm = l2 - c / 2;
  const [r1, g1, b1] =
    hue < 1
      ? [c, x, 0]
      : hue < 2
        ? [x, c, 0]
        : hue < 3
          ? [0, c, x]
          : hue < 4
            ? [0, x, c]
            : hue < 5
              ? [x, 0, c]
              : [c, 0, x];
  const to = (v: number): string =>
    Math.round((v + mm) * 255)
      .toString(16)
      .padStart(2, "0");
  return `#${to(r1)}${to(g1)}${to(b1)}${m[2] ?? ""}`;
}

/** What draws ink: the identity for the light board and exports, darkInk for the dark board. */
export type InkMap = (color: string) => string;

export const trueInk: InkMap = (c) => c;
