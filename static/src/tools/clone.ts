/**
 * Copies of elements with new ids, for duplicate and paste: attached ends follow the copies of
 * what they were attached to (and are let go when that was not copied), copies go on top (no
 * `z`) and are unlocked.
 */
import type { Element } from "../model/types";

export function cloneAll(
  elements: readonly Element[],
  newId: () => string,
  dx: number,
  dy: number,
): Element[] {
  const ids = new Map(elements.map((e) => [e.id, newId()]));
  return elements.map((e) => {
    const copy = { ...e, id: ids.get(e.id) as string, x: e.x + dx, y: e.y + dy } as Element;
    delete copy.z;
    delete copy.locked;
    if (copy.type === "line" || copy.type === "arrow") {
      const from = copy.from === undefined ? undefined : ids.get(copy.from);
      const to = copy.to === undefined ? undefined : ids.get(copy.to);
      if (from === undefined) delete copy.from;
      else copy.from = from;
      if (to === undefined) delete copy.to;
      else copy.to = to;
    }
    return copy;
  });
}
