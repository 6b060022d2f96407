/**
 * Compact live ops (docs/protocol.md "Compact live ops"), which the client asks for with
 * `compact: 1` in its hello.
 *
 * Live ink is mostly appends of two or three points, and in a PROTOCOL.md `ops` frame the map
 * keys, `s` and `ts` weigh several times more than the points. The compact frame is a msgpack
 * array instead of a map: the seq of the first op, then one entry per op, whose `s` is implied
 * by its place. An append is `[by, c, id, pts]` (`[by, c, id, pts, pr]` with pressures); every
 * other op is its PROTOCOL.md server-op map without `s`. This module turns that back into the
 * server ops the model already applies, so nothing past the connection knows the difference.
 */
import { isMap } from "../model/validate";
import type { AppendOp, ServerOp } from "../model/types";

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);

/** The server ops of a compact frame, or null when it is malformed (never throws). */
export function decodeCompactOps(frame: readonly unknown[]): ServerOp[] | null {
  const first = frame[0];
  if (!isInt(first) || frame.length < 2) return null;
  const out: ServerOp[] = [];
  for (let i = 1; i < frame.length; i++) {
    const entry = frame[i];
    const s = first + i - 1;
    if (Array.isArray(entry)) {
      const [by, c, id, pts, pr] = entry as unknown[];
      if (entry.length < 4 || entry.length > 5) return null;
      if (!isInt(by) || !isInt(c) || typeof id !== "string" || !Array.isArray(pts)) return null;
      const sop: AppendOp & { s: number; by: number } = { k: "append", c, id, pts, s, by };
      if (entry.length === 5) {
        if (!Array.isArray(pr)) return null;
        sop.pr = pr as number[];
      }
      out.push(sop);
    } else if (isMap(entry)) {
      out.push({ ...entry, s } as unknown as ServerOp);
    } else {
      return null;
    }
  }
  return out;
}
