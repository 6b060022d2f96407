/**
 * A copy of the board in this browser (localStorage), so that the page opened without a
 * network (the service worker keeps the app, pwa/sw.ts) shows the board as last seen and keeps
 * the edits not yet acknowledged across a reload; they go out when the server is back.
 *
 * Saved a moment after changes stop (not per op, nor mid-stroke: serialising a board is not
 * for the drawing path) and when the page is hidden or closed; only the recent boards' copies
 * are kept. A copy that fails to parse is ignored: the
 * server's welcome is the truth, the copy only bridges the time without it.
 */
import type { Model, SavedModel } from "../model/model";
import type { Limits, Op } from "../model/types";
import { isMap, parseElement, parseOp } from "../model/validate";
import { recentBoards } from "../util/recent";
import { load, save } from "../util/storage";
import type { Connection } from "./connection";

const SAVE_AFTER_MS = 1000;
/**
 * Boards with more elements than this are not copied: their JSON is tens of megabytes, far
 * past localStorage's few, and building it only to be refused froze the page for a second
 * or more after every change to a board of 100,000 elements (bench/frames.py).
 */
export const COPY_MAX_ELEMENTS = 20_000;
const VERSION = 1;

interface Copy extends SavedModel {
  v: number;
  prev: { id: number; token: string } | null;
}

const PREFIX = "wb.copy.";

function storageKey(board: string): string {
  return PREFIX + board;
}

/**
 * Drops the copies of boards no longer among the recent ones (util/recent.ts), so the copies
 * stay within localStorage's few megabytes however many boards this browser has seen.
 */
function pruneCopies(): void {
  const keep = new Set(recentBoards().map((b) => storageKey(b.id)));
  try {
    for (let i = localStorage.length - 1; i >= 0; i--) {
      const key = localStorage.key(i);
      if (key?.startsWith(PREFIX) && !keep.has(key)) localStorage.removeItem(key);
    }
  } catch {
    // No storage here (a private window): there are no copies either.
  }
}

const isInt = (v: unknown): v is number => Number.isSafeInteger(v);

/** The saved copy, checked as strictly as a server message; null when absent or damaged. */
export function parseCopy(raw: unknown, limits: Limits): Copy | null {
  if (!isMap(raw) || raw["v"] !== VERSION || !isInt(raw["seq"]) || (raw["seq"] as number) < 0)
    return null;
  const { elements, first, pending, prev } = raw;
  if (!Array.isArray(elements) || !Array.isArray(first) || !Array.isArray(pending)) return null;
  if (first.length !== elements.length || !first.every(isInt)) return null;
  const next = raw["next"];
  if (!isInt(next) || next < 1) return null;
  const copy: Copy = {
    v: VERSION,
    seq: raw["seq"] as number,
    elements: [],
    first,
    pending: [],
    next,
    prev: null,
  };
  for (const e of elements) {
    const parsed = parseElement(e, limits);
    if (!parsed.ok) return null;
    copy.elements.push(parsed.value);
  }
  for (const p of pending) {
    if (!isMap(p) || typeof p["sent"] !== "boolean") return null;
    const parsed = parseOp(p["op"], limits);
    if (!parsed.ok) return null;
    copy.pending.push({ op: parsed.value as Op, sent: p["sent"] });
  }
  if (isMap(prev) && isInt(prev["id"]) && typeof prev["token"] === "string")
    copy.prev = { id: prev["id"], token: prev["token"] };
  return copy;
}

export class LocalCopy {
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** When the model last changed (a number, not a new timer per op: ink makes one per frame). */
  private changedAt = 0;
  /** Nothing is saved before the first welcome (or a restored copy): no state to keep. */
  private hasState = false;
  private readonly saveNow = (): void => this.save();

  constructor(
    private readonly board: string,
    private readonly model: Model,
    private readonly conn: Connection,
  ) {}

  /** Shows the saved copy, if any, and has the connection continue from it. */
  restore(): void {
    pruneCopies();
    const copy = parseCopy(load<unknown>(storageKey(this.board), null), this.model.limits);
    if (copy) {
      this.model.restore(copy);
      this.conn.resume(copy.prev);
      this.hasState = true;
    }
    this.model.onChange(() => this.saveSoon());
    window.addEventListener("pagehide", this.saveNow);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") this.save();
    });
  }

  /** After a welcome: the state and the connection to name in the next page's hello. */
  welcomed(): void {
    this.hasState = true;
    this.saveSoon();
  }

  private saveSoon(): void {
    this.changedAt = performance.now();
    if (this.timer !== null || !this.hasState) return;
    this.timer = setTimeout(this.saveWhenQuiet, SAVE_AFTER_MS);
  }

  /** Saves once changes have stopped for SAVE_AFTER_MS: never mid-stroke. */
  private readonly saveWhenQuiet = (): void => {
    const quietFor = performance.now() - this.changedAt;
    if (quietFor >= SAVE_AFTER_MS) this.save();
    else this.timer = setTimeout(this.saveWhenQuiet, SAVE_AFTER_MS - quietFor);
  };

  private save(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (!this.hasState) return;
    if (this.model.size > COPY_MAX_ELEMENTS) {
      // A copy from when the board was smaller would show it as it was, and its pending
      // edits long sent: none is better.
      try {
        localStorage.removeItem(storageKey(this.board));
      } catch {
        // No storage here (a private window): no copy either.
      }
      return;
    }
    const copy: Copy = { v: VERSION, ...this.model.saved(), prev: this.conn.last };
    save(storageKey(this.board), copy);
  }
}
