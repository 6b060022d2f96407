/**
 * "Restore this version": the ordinary ops that turn the live board into a past state.
 *
 * History stays linear: nothing is rewound, the restore is new ops at the head like any edit,
 * so everyone sees it live and its author can undo it as one step. The ops are the smallest
 * honest diff: delete what did not exist then, update the fields that differ, add back what
 * was deleted since. Points cannot be updated (PROTOCOL.md), so a pen whose points differ is
 * deleted and added again; a re-added id keeps its first-add place, so the stacking comes back
 * too, and `z` is restored as a field like any other.
 */
import { splitAdd } from "../model/split";
import type { Element, Limits, OpBody, UpdateSet } from "../model/types";
import { FIELDS, MAX_IDS_PER_DELETE } from "../model/validate";

/** Fields that only an add can set. */
const FIXED = new Set(["id", "type", "pts", "pr", "ps"]);

type Fields = Record<string, unknown>;

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => v === b[i]);
  }
  return a === b;
}

/** Whether `now` can become `then` with an update (same type, same points). */
function updatable(now: Element, then: Element): boolean {
  if (now.type !== then.type) return false;
  const a = now as unknown as Fields;
  const b = then as unknown as Fields;
  return ["pts", "pr", "ps"].every((k) => sameValue(a[k], b[k]));
}

function changedFields(now: Element, then: Element): UpdateSet | null {
  const a = now as unknown as Fields;
  const b = then as unknown as Fields;
  const set: UpdateSet = {};
  let any = false;
  for (const key of FIELDS[then.type]) {
    if (FIXED.has(key) || sameValue(a[key], b[key])) continue;
    const v = b[key];
    // Absent then (an optional fill or z): null removes it now.
    set[key] = typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? v : null;
    any = true;
  }
  return any ? set : null;
}

/**
 * The ops that turn `live` into `past` (both in stacking order): unlocks of the locked elements
 * that must change (PROTOCOL.md 1.1), deletes (they make room under the board's element
 * limit), then updates, then adds in the past stacking order.
 */
export function restoreOps(
  live: readonly Element[],
  past: readonly Element[],
  limits: Limits,
): OpBody[] {
  const then = new Map(past.map((e) => [e.id, e]));
  const now = new Map(live.map((e) => [e.id, e]));
  const unlocks: OpBody[] = [];
  const deletes: string[] = [];
  const updates: OpBody[] = [];
  const adds: OpBody[] = [];
  for (const current of live) {
    let el = current;
    const old = then.get(el.id);
    const gone = !old || !updatable(el, old);
    if (el.locked && (gone || changedFields(el, old))) {
      // PROTOCOL.md 1.1: a locked element takes nothing but {locked: false}; the update below
      // locks it again if it was locked then.
      unlocks.push({ k: "update", id: el.id, set: { locked: false } });
      el = { ...el, locked: false };
    }
    if (gone) deletes.push(el.id);
    else {
      const set = changedFields(el, old);
      if (set) updates.push({ k: "update", id: el.id, set });
    }
  }
  for (const el of past) {
    const cur = now.get(el.id);
    if (!cur || !updatable(cur, el)) adds.push(...splitAdd(el, limits));
  }
  const out: OpBody[] = unlocks;
  for (let i = 0; i < deletes.length; i += MAX_IDS_PER_DELETE) {
    out.push({ k: "delete", ids: deletes.slice(i, i + MAX_IDS_PER_DELETE) });
  }
  return out.concat(updates, adds);
}
