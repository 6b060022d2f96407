import { formatDate, formatDuration, t } from "../i18n/i18n";

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

/** "2 hours", "15 Minuten", "3 days": the length of a pause, roughly, in the page's language. */
export const duration = formatDuration;

/**
 * A moment, as short as the board's life allows, as the page's language writes it: the time
 * with seconds when it spans minutes, without them within a day, else with the day too.
 */
export function shortTime(ts: number, spanMs: number): string {
  if (spanMs < 30 * 60 * 1000) return formatDate(ts, { timeStyle: "medium" });
  return spanMs < 20 * 3600 * 1000
    ? formatDate(ts, { timeStyle: "short" })
    : formatDate(ts, { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });
}

/** A moment, in full ("25 Nov 2026, 10:32:05" in British English). */
export function longTime(ts: number): string {
  return formatDate(ts, { dateStyle: "medium", timeStyle: "medium" });
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
      this.marks.push({
        seq,
        kind: "session",
        label: t("history.firstChange", { when: longTime(ts) }),
      });
    } else if (ts - this.lastTs > SESSION_GAP_MS) {
      this.marks.push({
        seq,
        kind: "session",
        label: t("history.session", { when: longTime(ts), pause: duration(ts - this.lastTs) }),
      });
    }
    this.lastTs = ts;
    if (name !== undefined && !this.seen.has(name)) {
      this.seen.add(name);
      if (seq > 1) this.marks.push({ seq, kind: "join", label: t("history.firstOf", { name }) });
    }
  }
}
