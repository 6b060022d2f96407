/**
 * An `add` of a long pen stroke can carry more point values than one op may
 * (`limits.values_per_op`); an element may hold ten times that. Such an add is sent as an add
 * of the first points followed by appends of the rest, which the server stores as the same
 * element. Undo of a delete and "restore this version" re-add whole strokes, so both need it.
 */
import type { Element, Limits, OpBody } from "./types";

export function splitAdd(el: Element, limits: Limits): OpBody[] {
  if (el.type !== "pen" || el.pts.length <= limits.values_per_op) return [{ k: "add", e: el }];
  // Whole points only (two values each), and pressures cut at the same points.
  const step = Math.max(2, limits.values_per_op - (limits.values_per_op % 2));
  const cut = (from: number): { pts: number[]; pr?: number[] } => {
    const pts = el.pts.slice(from, from + step);
    return el.pr ? { pts, pr: el.pr.slice(from / 2, (from + step) / 2) } : { pts };
  };
  const out: OpBody[] = [{ k: "add", e: { ...el, ...cut(0) } }];
  for (let from = step; from < el.pts.length; from += step) {
    out.push({ k: "append", id: el.id, ...cut(from) });
  }
  return out;
}
