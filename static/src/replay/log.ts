/**
 * HistoryLog: the board's op log in the browser, streamed page by page, never all at once.
 *
 * Two kinds of memory, sized differently:
 * - per op, only its time and author (12 bytes), kept for the whole log: the timeline, the
 *   clock of playback and the author filter need them everywhere;
 * - op bodies, in pages of PAGE ops, kept for the last MAX_PAGES pages used: a board of a
 *   million pen appends does not fit comfortably, and a page is cheap to fetch again.
 *
 * A background scan reads the pages in order and builds what needs the whole past: who touched
 * which element (authors.ts), where each id was first added (stacking), the landmarks of the
 * timeline and the number of ops per person. Playback and seeking never wait for the scan:
 * they fetch the pages they need first.
 */
import { t } from "../i18n/i18n";
import { opIds } from "../model/document";
import type { ServerOp } from "../model/types";
import { fetchOpsPage, type OpsPage } from "./api";
import { AuthorIndex } from "./authors";
import { LandmarkFinder } from "./sessions";

/** Ops per page: the server's largest page. */
export const PAGE = 10_000;
const MAX_PAGES = 40;
/** Live ops arrive one tick at a time: fetch them at most this often. */
const TAIL_INTERVAL_MS = 300;
const RETRY_MS = 2000;

export type PageSource = (after: number, limit: number) => Promise<OpsPage>;

const pageOf = (seq: number): number => Math.floor((seq - 1) / PAGE);

export class HistoryLog {
  /** The board's head as far as we know: the log covers ops 1..head. */
  head = 0;
  /** Ops 1..scanned have been read into the indexes below. */
  scanned = 0;
  readonly names = new Map<number, string>();
  readonly authors = new AuthorIndex();
  /** Seq of the first add of every id, for stacking re-added elements in their old place. */
  readonly firstAdd = new Map<string, number>();
  readonly landmarks = new LandmarkFinder();
  /** Ops per person (by name: a person gets a new client id on every connection). */
  readonly counts = new Map<string, number>();
  /** Why loading is stuck (it retries), or null. */
  error: string | null = null;

  private tsOf = new Float64Array(1024);
  private byOf = new Int32Array(1024);
  private known = new Uint8Array(1024);
  private readonly pages = new Map<number, ServerOp[]>();
  private readonly loading = new Map<number, Promise<void>>();
  private readonly listeners: (() => void)[] = [];
  private scanning = false;
  private lastTailFetch = 0;
  private closed = false;

  constructor(private readonly source: PageSource) {}

  static forBoard(board: string): HistoryLog {
    return new HistoryLog((after, limit) => fetchOpsPage(board, after, limit));
  }

  /** Called on progress: pages arrived, the head moved, an error came or went. */
  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  /** The board advanced (live ops); the scan fetches the new ops soon. */
  setHead(head: number): void {
    if (head <= this.head) return;
    this.head = head;
    this.grow(head);
    this.emit();
    this.kick();
  }

  /** Stops fetching (the history view closed). */
  close(): void {
    this.closed = true;
  }

  /** Time (ms since the epoch) of op `seq`, if known yet. */
  ts(seq: number): number | undefined {
    return seq >= 1 && seq < this.known.length && this.known[seq] ? this.tsOf[seq] : undefined;
  }

  /** Author (client id) of op `seq`, if known yet. */
  by(seq: number): number | undefined {
    return seq >= 1 && seq < this.known.length && this.known[seq] ? this.byOf[seq] : undefined;
  }

  /** The name of a client id; the page that carried its ops told us. */
  nameOf(by: number): string {
    return this.names.get(by) ?? t("history.someone", { id: by });
  }

  /** The client ids that go by `name`. */
  idsNamed(name: string): Set<number> {
    const out = new Set<number>();
    for (const [id, n] of this.names) if (n === name) out.add(id);
    return out;
  }

  /** Ops (from, to] if their bodies are in memory now, else null (see ensure). */
  ops(from: number, to: number): ServerOp[] | null {
    const out: ServerOp[] = [];
    for (let p = pageOf(from + 1); from < to && p <= pageOf(to); p++) {
      const ops = this.pages.get(p);
      const first = p * PAGE + 1;
      const last = Math.min(to, first + PAGE - 1);
      if (!ops || first + ops.length - 1 < last) return null;
      this.touch(p, ops);
      for (let s = Math.max(from + 1, first); s <= last; s++) out.push(ops[s - first] as ServerOp);
    }
    return out;
  }

  /** Brings the bodies of ops (from, to] into memory. */
  async ensure(from: number, to: number): Promise<void> {
    for (let p = pageOf(from + 1); from < to && p <= pageOf(to); p++) {
      await this.load(p, Math.min(to, (p + 1) * PAGE));
    }
  }

  /** Resolves once ops 1..seq are scanned (e.g. before a restore needs their first adds). */
  scannedTo(seq: number): Promise<void> {
    if (this.scanned >= seq) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.scanned >= seq || this.closed) {
          this.listeners.splice(this.listeners.indexOf(check), 1);
          resolve();
        }
      };
      this.listeners.push(check);
      this.kick();
    });
  }

  /** Starts the background scan if it is not running (throttled for live tails). */
  kick(): void {
    if (this.scanning || this.closed || this.scanned >= this.head) return;
    this.scanning = true;
    const wait = Math.max(0, this.lastTailFetch + TAIL_INTERVAL_MS - performance.now());
    setTimeout(() => void this.scan(), this.scanned > 0 ? wait : 0);
  }

  private async scan(): Promise<void> {
    try {
      while (!this.closed && this.scanned < this.head) {
        const p = pageOf(this.scanned + 1);
        const upto = Math.min(this.head, (p + 1) * PAGE);
        try {
          await this.load(p, upto);
        } catch (e) {
          this.error = e instanceof Error ? e.message : String(e);
          this.emit();
          await new Promise((r) => setTimeout(r, RETRY_MS));
          continue;
        }
        if (this.error !== null) this.error = null;
        const ops = this.pages.get(p) ?? [];
        const first = p * PAGE + 1;
        const before = this.scanned;
        for (let s = this.scanned + 1; s < first + ops.length; s++) {
          this.index(ops[s - first] as ServerOp);
          this.scanned = s;
        }
        this.lastTailFetch = performance.now();
        this.emit();
        // The server has not committed what we were told of yet: ask again a little later.
        if (this.scanned === before) await new Promise((r) => setTimeout(r, TAIL_INTERVAL_MS));
      }
    } finally {
      this.scanning = false;
    }
    // The head may have moved while the last page was in flight.
    if (this.scanned < this.head) this.kick();
  }

  private index(sop: ServerOp): void {
    const name = this.names.get(sop.by);
    for (const id of opIds(sop)) this.authors.record(id, sop.s, sop.by);
    if (sop.k === "add" && !this.firstAdd.has(sop.e.id)) this.firstAdd.set(sop.e.id, sop.s);
    this.landmarks.add(sop.s, this.tsOf[sop.s] as number, name);
    const who = this.nameOf(sop.by);
    this.counts.set(who, (this.counts.get(who) ?? 0) + 1);
  }

  /** Makes page `p` hold its ops up to seq `upto`, fetching only what it lacks. */
  private async load(p: number, upto: number): Promise<void> {
    for (;;) {
      const have = this.pages.get(p)?.length ?? 0;
      if (p * PAGE + have >= upto) return;
      const inFlight = this.loading.get(p);
      if (inFlight) {
        await inFlight;
        continue;
      }
      const job = this.fetchInto(p, have).finally(() => this.loading.delete(p));
      this.loading.set(p, job);
      await job;
      if ((this.pages.get(p)?.length ?? 0) === have) return; // the server has no more yet
    }
  }

  private async fetchInto(p: number, have: number): Promise<void> {
    const after = p * PAGE + have;
    const page = await this.source(after, PAGE - have);
    for (const [id, name] of Object.entries(page.names)) this.names.set(Number(id), name);
    const ops = (this.pages.get(p) ?? []).slice(0, have).concat(page.ops);
    this.grow(after + page.ops.length);
    for (const sop of page.ops) {
      this.tsOf[sop.s] = typeof sop.ts === "number" ? sop.ts : 0;
      this.byOf[sop.s] = sop.by;
      this.known[sop.s] = 1;
    }
    if (after + page.ops.length > this.head) this.head = after + page.ops.length;
    this.touch(p, ops);
  }

  /** Keeps page `p` as most recently used, dropping the least recently used beyond the cap. */
  private touch(p: number, ops: ServerOp[]): void {
    this.pages.delete(p);
    this.pages.set(p, ops);
    while (this.pages.size > MAX_PAGES) {
      const oldest = this.pages.keys().next().value as number;
      this.pages.delete(oldest);
    }
  }

  private grow(seq: number): void {
    if (seq < this.known.length) return;
    let n = this.known.length;
    while (n <= seq) n *= 2;
    const ts = new Float64Array(n);
    ts.set(this.tsOf);
    const by = new Int32Array(n);
    by.set(this.byOf);
    const known = new Uint8Array(n);
    known.set(this.known);
    this.tsOf = ts;
    this.byOf = by;
    this.known = known;
  }

  private emit(): void {
    for (const fn of [...this.listeners]) fn();
  }
}
