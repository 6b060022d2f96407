/**
 * Following someone's view: the local viewport tracks the rectangle they see, animated, with a
 * banner in their colour. Any pan or zoom of our own stops it (the viewport changed to
 * something we did not set); a resize does not (the view position stays what we set).
 */
import type { Peer } from "../model/types";
import type { ViewRect } from "../net/messages";
import type { Viewport } from "../render/viewport";
import { MAX_ZOOM, MIN_ZOOM } from "../render/viewport";
import { h } from "./dom";
import { PRESENTING_TEXT } from "./presenting-text";

/** How long the view takes to glide to a new target (views arrive up to 10 times a second). */
const GLIDE_MS = 120;
/** On a crowded board the server sends views less often (to 4 a second past 250 people): a glide
 * then lasts as long as the gap between two views, up to this, so the view keeps moving. */
const MAX_GLIDE_MS = 300;

interface Pose {
  x: number;
  y: number;
  zoom: number;
}

export class Follow {
  private readonly banner = h("div", {
    class: "follow-banner",
    role: "status",
    "data-testid": "follow-banner",
    hidden: true,
  });
  private leader: Peer | null = null;
  /** What we last set: a viewport that differs from it was moved by the user. */
  private set: Pose | null = null;
  private from: Pose | null = null;
  private to: Pose | null = null;
  private start = 0;
  private duration = GLIDE_MS;
  private frame = 0;

  constructor(
    parent: HTMLElement,
    private readonly viewport: Viewport,
    private readonly changed: (following: Peer | null) => void = () => {},
  ) {
    parent.append(this.banner);
    viewport.onChange(() => {
      const s = this.set;
      if (!s || (s.x === viewport.x && s.y === viewport.y && s.zoom === viewport.zoom)) return;
      this.set = null;
      this.to = null;
      if (this.leader) this.stop();
    });
  }

  get following(): Peer | null {
    return this.leader;
  }

  /** Follows `peer` from now on; its last known view, if any, is where we go first. */
  follow(peer: Peer): void {
    this.leader = peer;
    this.banner.textContent = PRESENTING_TEXT.following(peer.name);
    this.banner.style.background = peer.color;
    this.banner.hidden = false;
    if (peer.vp) this.glide(peer.vp);
    this.changed(peer);
  }

  stop(): void {
    if (!this.leader) return;
    this.leader = null;
    this.banner.hidden = true;
    this.to = null;
    this.changed(null);
  }

  /** Views heard this tick: the leader's moves ours. */
  views(views: readonly [number, number, number, number, number][]): void {
    const leader = this.leader;
    if (!leader) return;
    for (const [id, x0, y0, x1, y1] of views) if (id === leader.id) this.glide([x0, y0, x1, y1]);
  }

  /** Peers changed: a leader who left is no longer followed. */
  peers(peers: readonly Peer[]): void {
    if (this.leader && !peers.some((p) => p.id === this.leader?.id)) this.stop();
  }

  /** Moves our view to show `vp` whole, centred (a summon, or the leader's view). */
  glide(vp: ViewRect): void {
    const v = this.viewport;
    if (v.width <= 0 || v.height <= 0) return;
    const zoom = Math.min(
      MAX_ZOOM,
      Math.max(MIN_ZOOM, Math.min(v.width / (vp[2] - vp[0]), v.height / (vp[3] - vp[1]))),
    );
    const to = {
      zoom,
      x: (vp[0] + vp[2]) / 2 - v.width / 2 / zoom,
      y: (vp[1] + vp[3]) / 2 - v.height / 2 / zoom,
    };
    this.from = { x: v.x, y: v.y, zoom: v.zoom };
    this.to = to;
    const now = performance.now();
    const gap = now - this.start;
    this.duration = gap > GLIDE_MS && gap <= MAX_GLIDE_MS ? gap : GLIDE_MS;
    this.start = now;
    if (document.hidden)
      this.apply(to); // no animation frames in a hidden tab
    else if (!this.frame) this.frame = requestAnimationFrame(() => this.step());
  }

  private step(): void {
    this.frame = 0;
    const { from, to } = this;
    if (!from || !to) return;
    const t = Math.min(1, (performance.now() - this.start) / this.duration);
    const e = 1 - (1 - t) * (1 - t);
    // Zoom moves in log space so that zooming in and out feel alike.
    const zoom = from.zoom * Math.pow(to.zoom / from.zoom, e);
    if (t >= 1) {
      this.apply(to);
      return;
    }
    // The board point at the centre of the screen moves linearly.
    const v = this.viewport;
    const cx = lerp(from.x + v.width / 2 / from.zoom, to.x + v.width / 2 / to.zoom, e);
    const cy = lerp(from.y + v.height / 2 / from.zoom, to.y + v.height / 2 / to.zoom, e);
    this.apply({ x: cx - v.width / 2 / zoom, y: cy - v.height / 2 / zoom, zoom });
    this.frame = requestAnimationFrame(() => this.step());
  }

  private apply(p: Pose): void {
    const v = this.viewport;
    const zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, p.zoom));
    this.set = { x: p.x, y: p.y, zoom };
    v.set(p.x, p.y, zoom);
  }
}

const lerp = (a: number, b: number, t: number): number => a + (b - a) * t;
