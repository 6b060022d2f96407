/**
 * Landmarks of a board's life for the timeline: where sessions start (a pause of a few
 * minutes, or the very first op) and where a new person first drew, plus the time labels.
 */

/** A pause longer than this starts a new session. */
export const SESSION_GAP_MS = 5 * 60 * 1000;

export interface Landmark {
  seq: number;
  kind: "session" | "join";
  /** What a tooltip says, e.g. "Session started after 2 h" or "Ada's first change". */
  label: string;
}

/** "2 h", "15 min", "3 days": the length of a pause, roughly. */
export function duration(ms: number): string {
  const min = ms / 60_000;
  if (min < 60) return `${Math.max(1, Math.round(min))} min`;
  const hours = min / 60;
  if (hours < 48) return `${Math.round(hours)} h`;
  return `${Math.round(hours / 24)} days`;
}

const pad = (n: number): string => String(n).padStart(2, "0");
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * A moment, as short as the board's life allows: "10:32:05" when it spans minutes, "10:32"
 * within a day, else "25 Nov 10:32".
 */
export function shortTime(ts: number, spanMs: number): string {
  const d = new Date(ts);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (spanMs < 30 * 60 * 1000) return `${hm}:${pad(d.getSeconds())}`;
  return spanMs < 20 * 3600 * 1000 ? hm : `${d.getDate()} ${MONTHS[d.getMonth()]} ${hm}`;
}

/** A moment, in full: "25 Nov 2026, 10:32:05". */
export function longTime(ts: number): string {
  const d = new Date(ts);
  return (
    `${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()}, ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/**
 * Finds landmarks incrementally, as the log streams in: feed it ops in seq order.
 */
export class LandmarkFinder {
  readonly marks: Landmark[] = [];
  private lastTs: number | null = null;
  private readonly seen = new Set<string>();

  /** Op `seq` at time `ts`, by a person called `name` (undefined while unknown). */
  add(seq: number, ts: number, name: string | undefined): void {
    if (this.lastTs === null) {
      this.marks.push({ seq, kind: "session", label: `First change, ${longTime(ts)}` });
    } else if (ts - this.lastTs > SESSION_GAP_MS) {
      this.marks.push({
        seq,
        kind: "session",
        label: `Session started ${longTime(ts)}, after ${duration(ts - this.lastTs)}`,
      });
    }
    this.lastTs = ts;
    if (name !== undefined && !this.seen.has(name)) {
      this.seen.add(name);
      if (seq > 1) this.marks.push({ seq, kind: "join", label: `${name}'s first change` });
    }
  }
}
