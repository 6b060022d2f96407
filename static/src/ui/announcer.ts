/**
 * What others do, in words, for screen readers: a polite live region that says who joined or
 * left and how many changes someone made. Changes are counted per person and said at most
 * once every few seconds, so a stroke of 200 points is one sentence, not 200.
 */
import { t } from "../i18n/i18n";
import type { Peer } from "../model/types";
import { h } from "./dom";

const EVERY_MS = 4000;

export class Announcer {
  private readonly el = h("div", {
    class: "visually-hidden",
    role: "log",
    "aria-live": "polite",
    "aria-relevant": "additions",
    "data-testid": "announcer",
  });
  private readonly names = new Map<number, string>();
  /** Per person, the elements they changed since the last sentence. */
  private readonly changes = new Map<string, Set<string>>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastAt = -Infinity;

  constructor(parent: HTMLElement) {
    parent.append(this.el);
  }

  /** The peers now; joins and leaves since the last call are said. */
  peers(peers: readonly Peer[], silent = false): void {
    const now = new Map(peers.map((p) => [p.id, p.name]));
    if (!silent) {
      for (const [id, name] of now)
        if (!this.names.has(id)) this.say(t("announce.joined", { name }));
      for (const [id, name] of this.names) if (!now.has(id)) this.say(t("announce.left", { name }));
    }
    this.names.clear();
    for (const [id, name] of now) this.names.set(id, name);
  }

  nameOf(by: number): string {
    return this.names.get(by) ?? t("announce.someone");
  }

  /** Client `by` (someone else) changed element `id`. */
  changed(by: number, id: string): void {
    const name = this.nameOf(by);
    let ids = this.changes.get(name);
    if (!ids) this.changes.set(name, (ids = new Set()));
    ids.add(id);
    if (this.timer !== null) return;
    const wait = Math.max(0, this.lastAt + EVERY_MS - performance.now());
    this.timer = setTimeout(() => this.flush(), wait);
  }

  private flush(): void {
    this.timer = null;
    this.lastAt = performance.now();
    for (const [name, ids] of this.changes)
      this.say(t("announce.changed", { name, count: ids.size }));
    this.changes.clear();
  }

  private say(text: string): void {
    this.el.append(h("p", { text }));
    // A log only needs its latest lines; older ones have been read.
    while (this.el.childElementCount > 5) this.el.firstElementChild?.remove();
  }
}
