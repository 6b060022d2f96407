/**
 * ReplayState: the board at one moment of its history, as the renderer draws it.
 *
 * It is the same Document the live model uses, advanced by the logged ops, so a past moment
 * looks exactly as it did. It is read-only for the user: only seeking and playback change it.
 * An optional filter hides the elements a chosen person never touched ("who drew what").
 */
import { Document, opIds } from "../model/document";
import type { Element, Limits, Op, ServerOp } from "../model/types";
import type { SceneSource } from "../render/scene";

type Listener = (ids: ReadonlySet<string> | null) => void;

export class ReplayState implements SceneSource {
  private doc: Document;
  /** The seq this state is after (0: the empty board). */
  seq: number;
  private visible: ((id: string) => boolean) | null = null;
  private readonly listeners: Listener[] = [];

  constructor(
    doc: Document,
    seq: number,
    /** First-add seqs known from the log, for ids this document has not seen added. */
    private readonly firstAdd: ReadonlyMap<string, number>,
  ) {
    this.doc = doc;
    this.seq = seq;
  }

  get limits(): Limits {
    return this.doc.limits;
  }

  /** Replaces the whole state (after a far seek). */
  load(doc: Document, seq: number): void {
    doc.reuseFrom(this.doc);
    this.doc = doc;
    this.seq = seq;
    this.emit(null);
  }

  /** A copy of the (unfiltered) document, e.g. to keep as a base for later seeks. */
  copy(): Document {
    return this.doc.clone();
  }

  /** Applies logged ops `seq + 1`, `seq + 2`, ... in order. */
  apply(sops: readonly ServerOp[]): void {
    const touched = new Set<string>();
    for (const sop of sops) {
      if (sop.s !== this.seq + 1)
        throw new Error(`replay: expected op ${this.seq + 1}, got ${sop.s}`);
      const { s, by: _by, ts: _ts, ...op } = sop;
      if (op.k === "add") {
        const first = this.firstAdd.get(op.e.id);
        if (first !== undefined) this.doc.seedRank(op.e.id, first);
      }
      // The server accepted it, so it applies; if it does not, showing the rest beats stopping.
      const out = this.doc.apply(op as Op, s);
      if (!out.ok) console.warn(`whiteboard: history op ${s} does not apply here: ${out.code}`);
      for (const id of opIds(op as Op)) touched.add(id);
      this.seq = s;
    }
    if (touched.size > 0) this.emit(touched);
  }

  /** Shows only the ids `visible` accepts (null: everything). */
  setFilter(visible: ((id: string) => boolean) | null): void {
    this.visible = visible;
    this.emit(null);
  }

  /** Every element of the moment in stacking order, ignoring the filter (restore uses it). */
  allElements(): Element[] {
    return this.doc.elements();
  }

  // ---- SceneSource --------------------------------------------------------------------------

  get(id: string): Element | undefined {
    if (this.visible && !this.visible(id)) return undefined;
    return this.doc.get(id);
  }

  forEach(fn: (el: Element) => void): void {
    for (const id of this.doc.ids()) {
      if (this.visible && !this.visible(id)) continue;
      fn(this.doc.get(id) as Element);
    }
  }

  rank(id: string): number {
    return this.doc.rank(id) ?? 0;
  }

  onChange(listener: Listener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  private emit(ids: ReadonlySet<string> | null): void {
    for (const l of [...this.listeners]) l(ids);
  }
}
