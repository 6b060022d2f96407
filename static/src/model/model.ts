/**
 * Model: the board as this user sees it = the server's confirmed state + the user's pending ops.
 *
 * docs/architecture.md "Sync semantics": local edits apply at once (optimistically) and stay
 * pending until the server's broadcast of them (the acknowledgement) or an `err` for them arrives. The view is
 * never stored as a second full copy: only ids touched by pending ops differ from the confirmed
 * state, and those are kept in a small overlay recomputed by replaying the pending ops on them.
 * A server op therefore never hides a field the user has just changed: the user's pending
 * change is replayed on top until it is confirmed or refused.
 */
import { deletable, Document, opIds, step } from "./document";
import type { Element, ErrorCode, Limits, Op, OpBody, ServerOp } from "./types";
import { DEFAULT_LIMITS } from "./types";

interface Pending {
  op: Op;
  /** Handed to the connection; an unsent op may still absorb later ops on the same id. */
  sent: boolean;
}

/** `null` means "everything may have changed" (a snapshot was loaded). */
export type ChangeListener = (ids: ReadonlySet<string> | null) => void;

/** A server op arrived out of order: the connection must resume from `seq`. */
export class SequenceGap extends Error {
  constructor(
    readonly expected: number,
    readonly got: number,
  ) {
    super(`sequence gap: expected ${expected}, got ${got}`);
  }
}

/** The server accepted an op that this client's Document refuses: its state is not the server's. */
export class Divergence extends Error {}

export interface SavedModel {
  seq: number;
  /** The confirmed state, in stacking order, with the first-add seq of each (welcome.first). */
  elements: Element[];
  first: number[];
  pending: { op: Op; sent: boolean }[];
  /** The next `c`: a later page must not reuse one that the saving page's connection used. */
  next: number;
}

export type ProposeResult = { ok: true; op: Op } | { ok: false; code: ErrorCode };

export class Model {
  limits: Limits = DEFAULT_LIMITS;
  /** Set when the server says this connection may only watch: every local edit is refused. */
  readOnly = false;
  private confirmed = new Document(this.limits);
  /** The last server sequence number applied to `confirmed`. */
  private seqApplied = 0;
  private pending: Pending[] = [];
  /** ids whose visible state differs from `confirmed`; null = not live in the view. */
  private overlay = new Map<string, Element | null>();
  /** Index in `pending` of the add of each pending-only id; rebuilt lazily (null: stale). */
  private pendingAdds: Map<string, number> | null = null;
  /** Every client id this page has been given: our ops come back under any of them. */
  private readonly myIds = new Set<number>();
  private nextC = 1;
  private readonly listeners: ChangeListener[] = [];
  /** Per id, the seq and author of the last server op that touched it since the snapshot. */
  private readonly touchedAt = new Map<string, number>();
  private readonly touchedBy = new Map<string, number>();

  get seq(): number {
    return this.seqApplied;
  }

  /** Ops not yet acknowledged (sent or not): what a reload now would lose. */
  get pendingCount(): number {
    return this.pending.length;
  }

  get unsentCount(): number {
    return this.pending.reduce((n, p) => n + (p.sent ? 0 : 1), 0);
  }

  onChange(listener: ChangeListener): () => void {
    this.listeners.push(listener);
    return () => {
      // Safe to call twice: splice(-1) would remove someone else's listener.
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  addClientId(id: number): void {
    this.myIds.add(id);
  }

  isMine(by: number): boolean {
    return this.myIds.has(by);
  }

  /**
   * The seq and author of the last server op this page saw touch `id` (undefined before any
   * since the last snapshot): whoever changed something last settles what follows from it.
   */
  lastTouch(id: string): { s: number; by: number } | undefined {
    const s = this.touchedAt.get(id);
    const by = this.touchedBy.get(id);
    return s === undefined || by === undefined ? undefined : { s, by };
  }

  setLimits(limits: Limits): void {
    this.limits = limits;
    this.confirmed.limits = limits;
  }

  // ---- reading the view -------------------------------------------------------------------

  get(id: string): Element | undefined {
    const o = this.overlay.get(id);
    if (o !== undefined) return o ?? undefined;
    return this.confirmed.get(id);
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  /**
   * Stacking rank of a live id (see document.ts compareStacking). An id only pending gets the
   * sequence number the server will give its add if the pending ops are accepted next, so an
   * optimistic element stacks (with or without z) where it will end up.
   */
  rank(id: string): number {
    const r = this.confirmed.rank(id);
    if (r !== undefined) return r;
    if (!this.pendingAdds) {
      this.pendingAdds = new Map();
      this.pending.forEach((p, i) => {
        if (p.op.k === "add" && !this.pendingAdds?.has(p.op.e.id))
          this.pendingAdds?.set(p.op.e.id, i);
      });
    }
    return this.seqApplied + (this.pendingAdds.get(id) ?? this.pending.length) + 1;
  }

  get size(): number {
    let n = this.confirmed.size;
    for (const [id, el] of this.overlay) {
      const inConfirmed = this.confirmed.has(id);
      if (el && !inConfirmed) n++;
      else if (!el && inConfirmed) n--;
    }
    return n;
  }

  /** Calls `fn` for every visible element, in no particular order. */
  forEach(fn: (el: Element) => void): void {
    for (const id of this.confirmed.ids()) {
      if (!this.overlay.has(id)) fn(this.confirmed.get(id) as Element);
    }
    for (const el of this.overlay.values()) if (el) fn(el);
  }

  /** Visible elements in stacking order (for tests, export and the convergence check). */
  elements(): Element[] {
    const all: Element[] = [];
    this.forEach((e) => all.push(e));
    return all.sort((a, b) => {
      const ra = this.rank(a.id);
      const rb = this.rank(b.id);
      const ka = a.z ?? ra;
      const kb = b.z ?? rb;
      return ka !== kb ? ka - kb : ra - rb;
    });
  }

  /** A copy of the confirmed state (the history view starts from it) and its seq. */
  confirmedCopy(): { doc: Document; seq: number } {
    return { doc: this.confirmed.clone(), seq: this.seqApplied };
  }

  /** First-add seqs learnt from the history, for ids about to be re-added (document.ts). */
  seedRanks(ranks: ReadonlyMap<string, number>): void {
    for (const [id, seq] of ranks) this.confirmed.seedRank(id, seq);
    this.pendingAdds = null;
  }

  /** The server's state as this client last heard it, without pending ops. */
  confirmedElements(): Element[] {
    return this.confirmed.elements();
  }

  // ---- local edits --------------------------------------------------------------------------

  /**
   * Applies a local edit optimistically. Refuses (without any effect) what the server would
   * refuse on the state the user sees, so the screen never shows an edit that cannot stick.
   */
  propose(body: OpBody): ProposeResult {
    if (this.readOnly) return { ok: false, code: "read_only" };
    let op = { ...body, c: this.nextC++ } as Op;
    if (op.k === "delete") {
      const found = deletable(op.ids, (id) => this.get(id));
      if (!found.ok) return found;
      op = { ...op, ids: found.ids };
    }
    if (op.k === "add" && !this.has(op.e.id) && this.size >= this.limits.elements_per_board) {
      return { ok: false, code: "board_full" };
    }
    for (const id of opIds(op)) {
      const r = step(this.get(id), op, id, this.limits);
      if (!r.ok) return r;
    }
    if (!this.coalesce(op)) {
      this.pending.push({ op, sent: false });
      this.pendingAdds = null;
    }
    const ids = new Set(opIds(op));
    this.recompute(ids);
    this.emit(ids);
    return { ok: true, op };
  }

  /**
   * Folds an append or update into the previous unsent op on the same id, when nothing else
   * touched that id in between. Live drawing and dragging make an op per pointer event; the
   * server only needs their sum once per frame.
   */
  private coalesce(op: Op): boolean {
    if (op.k !== "append" && op.k !== "update") return false;
    let last: Pending | undefined;
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const p = this.pending[i] as Pending;
      if (opIds(p.op).includes(op.id)) {
        last = p;
        break;
      }
    }
    if (!last || last.sent) return false;
    const prev = last.op;
    if (op.k === "append") {
      if (prev.k === "add" && prev.e.type === "pen") {
        if (prev.e.pts.length + op.pts.length > this.limits.values_per_op) return false;
        const e = { ...prev.e, pts: prev.e.pts.concat(op.pts) };
        if (prev.e.pr && op.pr) e.pr = prev.e.pr.concat(op.pr);
        last.op = { ...prev, e };
        return true;
      }
      if (prev.k === "append" && prev.id === op.id) {
        if (prev.pts.length + op.pts.length > this.limits.values_per_op) return false;
        const merged: Op = { ...prev, pts: prev.pts.concat(op.pts) };
        if (prev.pr && op.pr) merged.pr = prev.pr.concat(op.pr);
        last.op = merged;
        return true;
      }
      return false;
    }
    if (prev.k === "update" && prev.id === op.id) {
      // An unlock must reach the server alone: {locked: false, x: 1} is refused when locked.
      if ("locked" in prev.set || "locked" in op.set) return false;
      last.op = { ...prev, set: { ...prev.set, ...op.set } };
      return true;
    }
    if (prev.k === "add") {
      const e: Record<string, unknown> = { ...prev.e };
      for (const [key, v] of Object.entries(op.set)) {
        if (v === null) delete e[key];
        else e[key] = v;
      }
      last.op = { ...prev, e: e as unknown as Element };
      return true;
    }
    return false;
  }

  // ---- the connection's side --------------------------------------------------------------

  /** Unsent ops in order (at most `max`), now marked as sent. */
  takeUnsent(max = Infinity): Op[] {
    const out: Op[] = [];
    for (const p of this.pending) {
      if (out.length >= max) break;
      if (!p.sent) {
        p.sent = true;
        out.push(p.op);
      }
    }
    return out;
  }

  /** Ops taken but not sent after all (the send budget ran out): they wait for the next flush. */
  unsend(ops: readonly Op[]): void {
    const cs = new Set(ops.map((op) => op.c));
    for (const p of this.pending) if (cs.has(p.op.c)) p.sent = false;
  }

  /**
   * After a resume with `ops`, every pending op not acknowledged by them never reached the log:
   * send it again (same `c`, so a late acknowledgement still matches it).
   */
  markAllUnsent(): void {
    for (const p of this.pending) p.sent = false;
  }

  /**
   * Applies server ops in sequence order. Our own ops (by any of our client ids, matched by
   * `c`) are acknowledgements: they leave the pending list as they enter the confirmed state.
   */
  receive(sops: readonly ServerOp[]): void {
    const touched = new Set<string>();
    try {
      for (const sop of sops) {
        if (sop.s <= this.seqApplied) continue;
        if (sop.s !== this.seqApplied + 1) throw new SequenceGap(this.seqApplied + 1, sop.s);
        const { s, by, ts: _ts, ...op } = sop;
        const out = this.confirmed.apply(op as Op, s);
        if (!out.ok) throw new Divergence(`server op ${s} refused locally: ${out.code}`);
        this.seqApplied = s;
        for (const id of opIds(op as Op)) {
          touched.add(id);
          this.touchedAt.set(id, s);
          this.touchedBy.set(id, by);
        }
        if (this.myIds.has(by)) {
          const i = this.pending.findIndex((p) => p.op.c === op.c);
          if (i >= 0) {
            const [acked] = this.pending.splice(i, 1);
            this.pendingAdds = null;
            if (acked) for (const id of opIds(acked.op)) touched.add(id);
          }
        }
      }
    } finally {
      this.recompute(touched);
      if (touched.size > 0) this.emit(touched);
    }
  }

  /** The server refused our op `c`: roll it back. Returns the op, if it was still pending. */
  refuse(c: number): Op | undefined {
    const i = this.pending.findIndex((p) => p.op.c === c);
    if (i < 0) return undefined;
    const [gone] = this.pending.splice(i, 1);
    this.pendingAdds = null;
    if (!gone) return undefined;
    const ids = new Set(opIds(gone.op));
    this.recompute(ids);
    this.emit(ids);
    return gone.op;
  }

  /**
   * Loads a snapshot (a fresh `welcome`, or a resume the server could not serve with ops);
   * `first` is welcome.first, the first-add seqs that place elements exactly as the server does,
   * and `gone` welcome.gone, those of the ids deleted before it (an undo may bring them back).
   *
   * Ops already sent may or may not be in the snapshot. Since hello.prev retires the old
   * connection before the welcome, none of them can be committed later, so what the snapshot
   * shows is final: an add whose id is live was committed; the sent appends of a live pen were
   * committed as far as its points go (a connection's ops are committed in order) and the rest
   * are sent again; updates and deletes are idempotent and are sent again.
   */
  reset(
    elements: readonly Element[],
    seq: number,
    first: readonly number[] | null = null,
    gone: readonly (readonly [string, number])[] = [],
  ): void {
    const old = this.confirmed;
    this.confirmed = Document.fromElements(elements, this.limits, first);
    // welcome.gone: ids deleted before this snapshot keep their place if they come back.
    for (const [id, s] of gone) this.confirmed.seedRank(id, s);
    this.touchedAt.clear();
    this.touchedBy.clear();
    this.seqApplied = seq;
    /** Points of each pen as far as our ops counted committed so far explain them. */
    const counted = new Map<string, number>();
    const points = (doc: Document, id: string): number | undefined => {
      const el = doc.get(id);
      return el?.type === "pen" ? el.pts.length : undefined;
    };
    this.pending = this.pending.filter((p) => {
      if (!p.sent) return true;
      const op = p.op;
      if (op.k === "add" && this.confirmed.has(op.e.id)) {
        if (op.e.type === "pen") counted.set(op.e.id, op.e.pts.length);
        return false;
      }
      if (op.k === "append") {
        const have = points(this.confirmed, op.id);
        const before = counted.get(op.id) ?? points(old, op.id);
        if (have !== undefined && before !== undefined && before + op.pts.length <= have) {
          counted.set(op.id, before + op.pts.length);
          return false;
        }
        // Not committed: neither are the later ones on this pen (same order on the server).
        counted.set(op.id, Infinity);
      }
      p.sent = false;
      return true;
    });
    this.pendingAdds = null;
    const ids = new Set<string>(this.overlay.keys());
    for (const p of this.pending) for (const id of opIds(p.op)) ids.add(id);
    this.overlay.clear();
    this.recompute(ids);
    this.emit(null);
  }

  // ---- the local copy (net/local-copy.ts) ------------------------------------------------

  /** What a reload needs to show this board and resend its edits without the server. */
  saved(): SavedModel {
    const elements = this.confirmed.elements();
    return {
      seq: this.seqApplied,
      elements,
      first: elements.map((e) => this.confirmed.rank(e.id) ?? 0),
      pending: this.pending.map((p) => ({ op: p.op, sent: p.sent })),
      next: this.nextC,
    };
  }

  /**
   * Starts from a saved copy, before any welcome. Pending ops keep their `c` (a late
   * acknowledgement from the connection that sent them still matches) and new ones follow.
   */
  restore(copy: SavedModel): void {
    this.confirmed = Document.fromElements(copy.elements, this.limits, copy.first);
    this.seqApplied = copy.seq;
    this.pending = copy.pending.map((p) => ({ op: p.op, sent: p.sent }));
    this.nextC = Math.max(this.nextC, copy.next, ...this.pending.map((p) => p.op.c + 1));
    this.pendingAdds = null;
    const ids = new Set<string>(this.overlay.keys());
    for (const p of this.pending) for (const id of opIds(p.op)) ids.add(id);
    this.overlay.clear();
    this.recompute(ids);
    this.emit(null);
  }

  // ---- internals ----------------------------------------------------------------------------

  /** Recomputes the overlay for `ids` by replaying the pending ops that touch them. */
  private recompute(ids: ReadonlySet<string>): void {
    if (ids.size === 0) return;
    const state = new Map<string, Element | undefined>();
    for (const p of this.pending) {
      for (const id of opIds(p.op)) {
        if (!ids.has(id)) continue;
        const before = state.has(id) ? state.get(id) : this.confirmed.get(id);
        const r = step(before, p.op, id, this.limits);
        state.set(id, r.ok ? r.el : before);
      }
    }
    for (const id of ids) {
      if (state.has(id)) this.overlay.set(id, state.get(id) ?? null);
      else this.overlay.delete(id);
    }
  }

  private emit(ids: ReadonlySet<string> | null): void {
    for (const l of [...this.listeners]) l(ids);
  }
}
