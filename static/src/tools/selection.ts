/**
 * The set of selected element ids. Kept apart from tools so the style panel can restyle the
 * selection and the renderer can outline it; pruned when selected elements disappear
 * (someone else deleted them, or an undo did).
 */
import type { Model } from "../model/model";

export class Selection {
  private ids = new Set<string>();
  private readonly listeners: (() => void)[] = [];

  constructor(private readonly model: Model) {
    model.onChange((changed) => {
      let pruned = false;
      for (const id of this.ids) {
        if ((changed === null || changed.has(id)) && !model.has(id)) {
          this.ids.delete(id);
          pruned = true;
        }
      }
      if (pruned) this.notify();
    });
  }

  get size(): number {
    return this.ids.size;
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  list(): string[] {
    return [...this.ids];
  }

  set(ids: Iterable<string>): void {
    const next = new Set([...ids].filter((id) => this.model.has(id)));
    if (next.size === this.ids.size && [...next].every((id) => this.ids.has(id))) return;
    this.ids = next;
    this.notify();
  }

  toggle(id: string): void {
    if (this.ids.has(id)) this.ids.delete(id);
    else this.ids.add(id);
    this.notify();
  }

  clear(): void {
    if (this.ids.size === 0) return;
    this.ids.clear();
    this.notify();
  }

  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  private notify(): void {
    for (const fn of this.listeners) fn();
  }
}
