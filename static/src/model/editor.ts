/**
 * Editor: the one door through which tools change the board, and the user's undo history.
 *
 * Tools group their ops into actions (a whole stroke, a whole drag). For each action the editor
 * remembers, per touched id, the state before the action and which fields it set; when the
 * action ends, that becomes the inverse ops (undo of add = delete, of delete = add of the old
 * element, of update = update with the old values of those fields only). Only this user's
 * actions are recorded, so undo never reverts someone else's work; and because an inverse only
 * names the fields the user changed, it leaves others' later changes to other fields alone.
 */
import type { Model } from "./model";
import { splitAdd } from "./split";
import { MAX_IDS_PER_DELETE } from "./validate";
import type { Element, ErrorCode, OpBody, UpdateSet } from "./types";

interface Recording {
  /** State of each touched id before its first op in this action (undefined: not live). */
  before: Map<string, Element | undefined>;
  /** Fields set by updates, per id. */
  keys: Map<string, Set<string>>;
  /**
   * Ids deleted and added again within the action (a restored pen whose points differ): their
   * inverse is the same pair the other way round, since an update cannot change points.
   */
  replaced: Set<string>;
}

const newRecording = (): Recording => ({ before: new Map(), keys: new Map(), replaced: new Set() });

type Entry = OpBody[];

const HISTORY_LIMIT = 500;

export class Editor {
  private recording: Recording | null = null;
  private undoStack: Entry[] = [];
  private redoStack: Entry[] = [];
  private readonly listeners: (() => void)[] = [];
  /** Told about local refusals (e.g. the board is full) so the UI can say why nothing happened. */
  onRefused: (code: ErrorCode) => void = () => {};

  constructor(readonly model: Model) {}

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  onHistoryChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  /** Starts an action; ops until end() are undone together. */
  begin(): void {
    if (this.recording) this.end();
    this.recording = newRecording();
  }

  /** Applies one op of the current action (a one-op action if none was begun). */
  do(body: OpBody): boolean {
    const single = this.recording === null;
    if (single) this.begin();
    const ok = this.record(body);
    if (single) this.end();
    return ok;
  }

  /** Deletes `ids` as one undoable action, in ops small enough for the server's limits. */
  deleteAll(ids: readonly string[]): void {
    if (ids.length === 0) return;
    this.begin();
    for (let i = 0; i < ids.length; i += MAX_IDS_PER_DELETE)
      this.do({ k: "delete", ids: ids.slice(i, i + MAX_IDS_PER_DELETE) });
    this.end();
  }

  /** Remembers the before-state of what `body` touches, then proposes it to the model. */
  private record(body: OpBody, silent = false): boolean {
    const rec = this.recording as Recording;
    const ids = body.k === "add" ? [body.e.id] : body.k === "delete" ? body.ids : [body.id];
    for (const id of ids) if (!rec.before.has(id)) rec.before.set(id, this.model.get(id));
    if (body.k === "add" && rec.before.get(body.e.id) && !this.model.has(body.e.id)) {
      rec.replaced.add(body.e.id);
    }
    const r = this.model.propose(body);
    if (r.ok && body.k === "update") {
      const keys = rec.keys.get(body.id) ?? new Set<string>();
      for (const k of Object.keys(body.set)) keys.add(k);
      rec.keys.set(body.id, keys);
    }
    if (!r.ok && !silent) this.onRefused(r.code);
    return r.ok;
  }

  /** Ends the current action and records its inverse on the undo stack. */
  end(): void {
    const rec = this.recording;
    this.recording = null;
    if (!rec) return;
    const inverse = this.invert(rec);
    if (inverse.length === 0) return;
    this.undoStack.push(inverse);
    if (this.undoStack.length > HISTORY_LIMIT) this.undoStack.shift();
    this.redoStack = [];
    this.notify();
  }

  undo(): boolean {
    return this.replay(this.undoStack, this.redoStack);
  }

  redo(): boolean {
    return this.replay(this.redoStack, this.undoStack);
  }

  /**
   * Applies the newest entry of `from` and records its own inverse on `to`. An entry that has
   * become a no-op (someone deleted what it would restore) is skipped, so one Ctrl+Z always
   * changes something if anything can change.
   */
  private replay(from: Entry[], to: Entry[]): boolean {
    if (this.recording) this.end();
    for (let entry = from.pop(); entry; entry = from.pop()) {
      const rec = newRecording();
      this.recording = rec;
      const skipped = new Set<string>();
      for (const body of entry) this.doSilently(body, skipped);
      this.recording = null;
      const inverse = this.invert(rec);
      if (inverse.length > 0) {
        to.push(inverse);
        this.notify();
        return true;
      }
    }
    this.notify();
    return false;
  }

  /**
   * Like do(), for undo/redo: ops that no longer apply are dropped without a message. The
   * appends that follow a dropped add (a long stroke, split) are dropped with it: they would
   * otherwise grow whatever now has that id.
   */
  private doSilently(body: OpBody, skipped: Set<string>): void {
    if (body.k === "delete") {
      const ids = body.ids.filter((id) => this.model.has(id));
      if (ids.length === 0) return;
      body = { ...body, ids };
    } else if (body.k === "add" && this.model.has(body.e.id)) {
      skipped.add(body.e.id);
      return;
    } else if (body.k !== "add" && (!this.model.has(body.id) || skipped.has(body.id))) {
      return;
    }
    this.record(body, true);
  }

  private invert(rec: Recording): Entry {
    const deletes: string[] = [];
    const out: OpBody[] = [];
    const limits = this.model.limits;
    for (const [id, before] of rec.before) {
      const after = this.model.get(id);
      if (!before && after) deletes.push(id);
      else if (before && !after) out.push(...splitAdd(before, limits));
      else if (before && after && rec.replaced.has(id)) {
        deletes.push(id);
        out.push(...splitAdd(before, limits));
      } else if (before && after) {
        const keys = rec.keys.get(id);
        if (!keys || keys.size === 0) continue;
        const old = before as unknown as Record<string, string | number | boolean | undefined>;
        const set: UpdateSet = {};
        for (const k of keys) set[k] = old[k] ?? (k === "locked" ? false : null);
        if ("locked" in set && keys.size > 1) {
          // A locked element takes {locked: false} alone (PROTOCOL.md 1.1): unlock first, then
          // the rest; or the rest first, then lock again.
          const { locked, ...rest } = set;
          const lock: OpBody = { k: "update", id, set: { locked: locked ?? false } };
          const others: OpBody = { k: "update", id, set: rest };
          out.push(...(locked ? [others, lock] : [lock, others]));
        } else out.push({ k: "update", id, set });
      }
    }
    for (let end = deletes.length; end > 0; end -= MAX_IDS_PER_DELETE) {
      const start = Math.max(0, end - MAX_IDS_PER_DELETE);
      out.unshift({ k: "delete", ids: deletes.slice(start, end) });
    }
    return out;
  }

  private notify(): void {
    for (const fn of this.listeners) fn();
  }
}
