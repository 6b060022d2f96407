/**
 * Player: moves a ReplayState through the board's history, by seeking or by playing.
 *
 * Seeking near the current moment (or near a state kept from an earlier seek) applies the
 * logged ops locally; seeking far asks the server for the state at that seq (`?at=`, one
 * checkpoint read plus a few ops on its side) and goes on locally from there. Seeks are
 * serialised and only the latest one matters, so dragging the timeline never queues up work.
 *
 * Playing runs a clock in board time: `speed` board milliseconds per real millisecond, and
 * every op whose `ts` the clock has passed is applied on the next animation frame. With
 * "skip idle gaps", no pause lasts longer than MAX_WAIT_MS of real time, so a board used on
 * two days plays without an overnight wait.
 */
import { Document } from "../model/document";
import type { Limits } from "../model/types";
import type { StateAt } from "./api";
import { type HistoryLog, PAGE } from "./log";
import type { ReplayState } from "./state";

export const SPEEDS = [1, 4, 16, 64] as const;
/** Up to this many ops are applied locally rather than asking the server for a snapshot. */
const LOCAL_MAX = 5000;
/** With "skip idle gaps": the longest real-time pause between two changes. */
const MAX_WAIT_MS = 600;
/** Ops applied in one frame at most (64x over a burst of pen appends stays smooth). */
const PER_FRAME_MAX = 4000;
/** Snapshots kept as starting points for later seeks (plus the empty board). */
const MAX_BASES = 4;

export class Player {
  playing = false;
  speed: number = 4;
  skipIdle = true;
  /** Client ids whose ops matter for idle skipping (the author filter), or null: everyone. */
  focus: ReadonlySet<number> | null = null;
  /** The moment the user asked for; the state catches up (it may be loading). */
  target: number;
  /** A seek or a page load is in progress. */
  busy = false;
  error: string | null = null;

  private want: number | null = null;
  private running = false;
  private fetching = false;
  private prefetched = -1;
  private clock = Number.NaN;
  private lastFrame = 0;
  private readonly bases = new Map<number, Document>();
  private readonly listeners: (() => void)[] = [];

  constructor(
    private readonly log: HistoryLog,
    private readonly state: ReplayState,
    private readonly stateAt: (at: number) => Promise<StateAt>,
    private readonly limits: Limits,
  ) {
    this.target = state.seq;
    this.bases.set(0, new Document(limits));
    this.bases.set(state.seq, state.copy());
  }

  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  /** Shows the moment right after op `seq` (0: the empty board). */
  seek(seq: number): void {
    const s = Math.max(0, Math.min(this.log.head, Math.round(seq)));
    this.target = s;
    this.want = s;
    this.clock = Number.NaN;
    this.emit();
    void this.run();
  }

  play(): void {
    if (this.playing) return;
    if (this.target >= this.log.head) this.seek(0);
    this.playing = true;
    this.clock = Number.NaN;
    this.lastFrame = performance.now();
    requestAnimationFrame((t) => this.frame(t));
    this.emit();
  }

  pause(): void {
    if (!this.playing) return;
    this.playing = false;
    this.emit();
  }

  setSpeed(speed: number): void {
    this.speed = speed;
    this.emit();
  }

  setSkipIdle(on: boolean): void {
    this.skipIdle = on;
    this.emit();
  }

  // ---- seeking ------------------------------------------------------------------------------

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.busy = true;
    this.emit();
    try {
      while (this.want !== null && this.want !== this.state.seq) {
        const s = this.want;
        try {
          await this.goto(s);
          this.error = null;
        } catch (e) {
          this.error = e instanceof Error ? e.message : String(e);
          this.want = null;
          this.target = this.state.seq;
          this.playing = false;
        }
      }
    } finally {
      this.want = null;
      this.running = false;
      this.busy = false;
      this.emit();
    }
  }

  private async goto(s: number): Promise<void> {
    const cur = this.state.seq;
    if (s > cur && s - cur <= LOCAL_MAX) {
      await this.log.ensure(cur, s);
      const ops = this.log.ops(cur, s);
      if (ops) {
        this.state.apply(ops);
        return;
      }
    }
    // The closest kept state at or before s, if few enough ops separate it from s.
    let base = -1;
    for (const b of this.bases.keys()) if (b <= s && s - b <= LOCAL_MAX && b > base) base = b;
    if (base >= 0) {
      await this.log.ensure(base, s);
      const ops = this.log.ops(base, s);
      const doc = this.bases.get(base);
      if (ops && doc) {
        this.state.load(doc.clone(), base);
        this.state.apply(ops);
        return;
      }
    }
    const snap = await this.stateAt(s);
    const doc = Document.fromElements(snap.elements, this.limits, this.ranks(snap));
    this.keepBase(snap.seq, doc.clone());
    this.state.load(doc, snap.seq);
  }

  /** First-add seqs of a snapshot's elements, when the scan of the log already knows them. */
  private ranks(snap: StateAt): number[] | null {
    if (this.log.scanned < snap.seq) return null;
    const out: number[] = [];
    for (const e of snap.elements) {
      const r = this.log.firstAdd.get(e.id);
      if (r === undefined) return null;
      out.push(r);
    }
    return out;
  }

  private keepBase(seq: number, doc: Document): void {
    this.bases.delete(seq);
    this.bases.set(seq, doc);
    for (const b of this.bases.keys()) {
      if (this.bases.size <= MAX_BASES + 1) break;
      if (b !== 0) this.bases.delete(b);
    }
  }

  // ---- playing ------------------------------------------------------------------------------

  private frame(now: number): void {
    if (!this.playing) return;
    const dt = Math.min(100, now - this.lastFrame);
    this.lastFrame = now;
    requestAnimationFrame((t) => this.frame(t));
    if (this.running || this.fetching) return;
    const cur = this.state.seq;
    if (cur >= this.log.head) {
      this.pause();
      return;
    }
    const nextTs = this.log.ts(cur + 1);
    if (nextTs === undefined) {
      this.fetchAhead(cur);
      return;
    }
    if (Number.isNaN(this.clock)) this.clock = this.log.ts(cur) ?? nextTs;
    this.clock += dt * this.speed;
    if (this.skipIdle) {
      const nts = this.log.ts(this.nextFocused(cur));
      const longest = MAX_WAIT_MS * this.speed;
      if (nts !== undefined && nts - this.clock > longest) this.clock = nts - longest;
    }
    let to = cur;
    while (to < this.log.head && to - cur < PER_FRAME_MAX) {
      const t = this.log.ts(to + 1);
      if (t === undefined || t > this.clock) break;
      to++;
    }
    this.prefetch(to);
    if (to > cur) {
      this.target = to;
      this.want = to;
      void this.run();
    }
  }

  /** The next op of the focused authors after `cur` (or simply the next op). */
  private nextFocused(cur: number): number {
    const focus = this.focus;
    if (!focus) return cur + 1;
    const end = Math.min(this.log.head, cur + PAGE);
    for (let s = cur + 1; s <= end; s++) {
      const by = this.log.by(s);
      if (by === undefined) return s;
      if (focus.has(by)) return s;
    }
    return end;
  }

  /** Reads the next page in the background when playback is near the end of this one. */
  private prefetch(at: number): void {
    const next = Math.ceil((at + 1) / PAGE) * PAGE;
    if (next - at > PAGE / 5 || next >= this.log.head || this.prefetched === next) return;
    this.prefetched = next;
    this.log.ensure(next, Math.min(this.log.head, next + PAGE)).catch(() => {
      this.prefetched = -1; // playback will fetch it when it gets there, and say so if it fails
    });
  }

  /** Fetches what playback needs now; frames wait for it. */
  private fetchAhead(from: number): void {
    if (this.fetching || from >= this.log.head) return;
    this.fetching = true;
    this.log
      .ensure(from, Math.min(this.log.head, from + PAGE))
      .catch((e: unknown) => {
        this.error = e instanceof Error ? e.message : String(e);
        this.pause();
      })
      .finally(() => {
        this.fetching = false;
        this.emit();
      });
  }

  private emit(): void {
    for (const fn of this.listeners) fn();
  }
}
