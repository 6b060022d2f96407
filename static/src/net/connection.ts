/**
 * Connection: one WebSocket to /ws/{board}, kept alive across drops.
 *
 * It says hello (with `since` once it has state, so a reconnect fetches only what it missed),
 * feeds the model with what the server sends, sends the model's unsent ops once per animation
 * frame, and reconnects with exponential backoff. It never touches the canvas: everything it
 * learns goes to the model or to the event callbacks.
 */
import { Divergence, type Model, SequenceGap } from "../model/model";
import type { Limits, Op, Peer, ServerOp } from "../model/types";
import { DEFAULT_LIMITS } from "../model/types";
import {
  APP_CLOSE,
  CLOSE,
  type ClientMessage,
  decodeMessage,
  encodeMessage,
  type Presence,
  type ViewRect,
  type Welcome,
} from "./messages";
import { nextFrame } from "../util/frame";
import { SendBudget } from "./budget";

/**
 * Ops in frames of at most `perFrame` ops and `maxBytes` bytes (a frame is split in halves
 * until it fits; one op alone goes as it is, and the server says if it is too large).
 */
function frames(ops: Op[], perFrame: number, maxBytes: number): { ops: Op[]; bytes: Uint8Array }[] {
  const out: { ops: Op[]; bytes: Uint8Array }[] = [];
  const add = (part: Op[]): void => {
    const bytes = encodeMessage({ t: "ops", ops: part });
    if (bytes.byteLength <= maxBytes || part.length === 1) {
      out.push({ ops: part, bytes });
      return;
    }
    const half = Math.ceil(part.length / 2);
    add(part.slice(0, half));
    add(part.slice(half));
  };
  for (let i = 0; i < ops.length; i += perFrame) add(ops.slice(i, i + perFrame));
  return out;
}

export type StatusKind = "connecting" | "connected" | "reconnecting" | "offline" | "stopped";

export interface Status {
  kind: StatusKind;
  /** Local changes the server has not acknowledged yet. */
  unsaved: number;
  /** Why the connection stopped for good (kind "stopped"). */
  reason?: string;
}

export interface ConnectionEvents {
  welcome(w: Welcome): void;
  presence(p: Presence): void;
  /** Someone asked everyone to come to their view (PROTOCOL.md 1.1 "summon"). */
  summon?(by: number, vp: ViewRect): void;
  /** A refusal; `op` is the rolled-back op when the refusal named one of ours. */
  refused(code: string, msg: string, op: Op | undefined): void;
  status(s: Status): void;
  /** Ops the server broadcast, after the model took them (who changed what, for the words
   * a screen reader hears). Optional: nothing on the hot path needs it. */
  ops?(sops: readonly ServerOp[]): void;
}

const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 10_000;
/** After this many failed attempts in a row the status says "offline" rather than "reconnecting". */
const OFFLINE_AFTER = 3;
const WATCHDOG_MS = 15_000;
/** Views go out at most this often (10 per second): followers animate between them. */
const VIEW_EVERY_MS = 100;

export class Connection {
  private ws: WebSocket | null = null;
  private welcomed = false;
  /** True once a welcome gave us a state that `since` can continue. */
  private hasState = false;
  private failures = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private flushScheduled = false;
  private cursor: { x: number | null; y: number | null } | null = null;
  /** Laser points not sent yet, in order (never stored: PROTOCOL.md 1.1). */
  private lasers: [number, number][] = [];
  /** Our latest view, and whether the server has not heard it yet. */
  private view: ViewRect | null = null;
  private viewDirty = false;
  private viewSentAt = -Infinity;
  private summonQueued = false;
  private stopped: string | null = null;
  private kind: StatusKind = "connecting";
  private readonly onlineHandler = (): void => this.retrySoon(0);
  private readonly offlineHandler = (): void => this.drop(APP_CLOSE.OFFLINE, "offline");
  /** Fires when the server has been silent too long while we wait for an answer. */
  private watchdog: ReturnType<typeof setTimeout> | null = null;
  /**
   * The last welcomed connection (its client id and token), named in the next hello's `prev`
   * so the server retires it before admitting us: nothing sent on it can then be committed
   * after the new welcome (docs/protocol.md "Reconnecting without doubles").
   */
  private prev: { id: number; token: string } | null = null;
  /** The server's rate limits, so a big action is paced rather than refused (budget.ts). */
  private readonly budget = new SendBudget(DEFAULT_LIMITS);
  me = 0;
  peers: Peer[] = [];

  constructor(
    private readonly url: string,
    private readonly name: () => string,
    private readonly model: Model,
    private readonly events: ConnectionEvents,
    /** The edit key of a protected board (docs/protocol.md), sent in every hello. */
    private readonly key: string | null = null,
  ) {
    model.onChange(() => {
      this.scheduleFlush();
      this.reportStatus();
    });
    window.addEventListener("online", this.onlineHandler);
    window.addEventListener("offline", this.offlineHandler);
  }

  /**
   * Continues from a saved copy (net/local-copy.ts): the model already holds its state, so the
   * hello asks only for what came `since`; `prev` is the connection of the page that saved it,
   * retired by the server before our welcome, so its edits are in the welcome's ops (by its
   * id, now ours too) or resent by us, never both.
   */
  resume(prev: { id: number; token: string } | null): void {
    this.hasState = true;
    this.prev = prev;
    if (prev) this.model.addClientId(prev.id);
  }

  /** The last welcomed connection (what a saved copy names as `prev`). */
  get last(): { id: number; token: string } | null {
    return this.prev;
  }

  get status(): Status {
    const s: Status = { kind: this.kind, unsaved: this.model.pendingCount };
    if (this.stopped) s.reason = this.stopped;
    return s;
  }

  start(): void {
    this.open();
  }

  /** Latest pointer position in board units (null: the pointer left the board). */
  sendCursor(x: number | null, y: number | null): void {
    this.cursor = { x, y };
    this.scheduleFlush();
  }

  /** A laser point at board position (x, y): sent with the next flush, in order. */
  sendLaser(x: number, y: number): void {
    this.lasers.push([x, y]);
    this.scheduleFlush();
  }

  /**
   * Our view changed. It is sent at most 10 times a second, and only while someone else is
   * on the board to follow it (a joiner makes us send it again).
   */
  sendView(vp: ViewRect): void {
    this.view = vp;
    this.viewDirty = true;
    this.scheduleFlush();
  }

  /** "Bring everyone here": the others move to our view (sent first if it is not yet). */
  sendSummon(): void {
    this.summonQueued = true;
    this.scheduleFlush();
  }

  /**
   * Closes and reconnects, e.g. to announce a new display name. No need to wait for in-flight
   * ops: the next hello names this connection in `prev`, so the server drops it (and whatever
   * it still has queued) before the new welcome, and every op is either in that welcome or
   * resent by us, never both.
   */
  reconnect(): void {
    if (this.ws) this.drop(APP_CLOSE.RECONNECT, "reconnect");
    else this.retrySoon(0);
  }

  /**
   * Abandons the socket now. A browser fires `close` only after the closing handshake, which
   * on a dead network may take minutes; we do not wait for it.
   */
  private drop(code: number, reason: string): void {
    const ws = this.ws;
    if (!ws) return;
    this.ws = null;
    this.welcomed = false;
    ws.onopen = ws.onmessage = ws.onclose = null;
    try {
      ws.close(code, reason);
    } catch {
      // Already closed: nothing to do.
    }
    this.onClosed(code, reason);
  }

  /**
   * Expects a word from the server within WATCHDOG_MS of sending something that needs an
   * answer (hello, ops). A half-open connection (a laptop lid closed, a NAT forgetting us)
   * otherwise looks connected forever while edits pile up unacknowledged.
   */
  private expectAnswer(): void {
    if (this.watchdog !== null) return;
    this.watchdog = setTimeout(() => {
      this.watchdog = null;
      this.drop(APP_CLOSE.NO_ANSWER, "no answer from the server");
    }, WATCHDOG_MS);
  }

  private answered(): void {
    if (this.watchdog !== null) clearTimeout(this.watchdog);
    this.watchdog = null;
  }

  private open(): void {
    this.retryTimer = null;
    if (this.stopped || this.ws) return;
    if (navigator.onLine === false) {
      this.setKind("offline");
      return;
    }
    // A page resuming from its local copy (me still 0) is connecting, not reconnecting.
    const before = (this.hasState && this.me !== 0) || this.failures > 0;
    this.setKind(before ? this.reconnectingKind() : "connecting");
    const ws = new WebSocket(this.url);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    this.welcomed = false;
    ws.onopen = () => {
      // compact: live ops in about half the bytes (docs/protocol.md "Compact live ops").
      const hello: ClientMessage = { t: "hello", v: 1, name: this.name(), compact: 1 };
      if (this.hasState) hello.since = this.model.seq;
      if (this.key) hello.key = this.key;
      if (this.prev) hello.prev = this.prev;
      this.send(hello);
      this.expectAnswer();
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws || !(ev.data instanceof ArrayBuffer)) return;
      this.answered();
      this.handle(ev.data);
      if (this.ws === ws && this.model.pendingCount > this.model.unsentCount) this.expectAnswer();
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.welcomed = false;
      this.onClosed(ev.code, ev.reason);
    };
  }

  private onClosed(code: number, reason: string): void {
    this.answered();
    if (code === CLOSE.POLICY) {
      // Policy: a bad hello, too many refusals, or access denied. Retrying would only repeat it.
      this.stopped = reason || "the server refused this connection";
      this.setKind("stopped");
      return;
    }
    this.failures++;
    this.setKind(this.reconnectingKind());
    // A restart, a store failure (docs/protocol.md), reading too slowly and our own reconnect
    // are routine: come back at once and resume.
    const quick =
      code === CLOSE.GOING_AWAY ||
      code === CLOSE.SERVER_ERROR ||
      code === CLOSE.TRY_AGAIN ||
      code === APP_CLOSE.RECONNECT;
    const exp = quick ? 0 : Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (this.failures - 1));
    this.retrySoon(quick ? BACKOFF_FIRST_MS * Math.random() : exp * (0.5 + Math.random() / 2));
  }

  private reconnectingKind(): StatusKind {
    return this.failures >= OFFLINE_AFTER || navigator.onLine === false
      ? "offline"
      : "reconnecting";
  }

  private retrySoon(ms: number): void {
    if (this.ws || this.stopped) return;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.open(), ms);
  }

  private handle(data: ArrayBuffer): void {
    const msg = decodeMessage(data);
    if (!msg) return;
    try {
      switch (msg.t) {
        case "welcome":
          this.onWelcome(msg);
          break;
        case "ops":
          if (this.welcomed) {
            this.model.receive(msg.ops);
            this.events.ops?.(msg.ops);
          }
          break;
        case "err": {
          const op = msg.c === undefined ? undefined : this.model.refuse(msg.c);
          this.events.refused(msg.code, msg.msg, op);
          break;
        }
        case "presence":
          this.onPresence(msg);
          this.events.presence(msg);
          break;
        case "summon":
          this.events.summon?.(msg.by, msg.vp);
          break;
      }
    } catch (e) {
      this.recover(e);
    }
  }

  /**
   * A gap in sequence numbers: resume from what we have. A divergence (the server accepted an
   * op our Document refuses): our state is wrong, so start over from a fresh snapshot.
   */
  private recover(e: unknown): void {
    if (e instanceof Divergence) this.hasState = false;
    else if (!(e instanceof SequenceGap)) throw e;
    console.warn("whiteboard: resynchronising:", e);
    this.drop(APP_CLOSE.RESYNC, "resync");
  }

  private onWelcome(w: Welcome): void {
    this.model.setLimits({ ...DEFAULT_LIMITS, ...w.limits } as Limits);
    this.budget.reset({ ...DEFAULT_LIMITS, ...w.limits });
    this.model.addClientId(w.me);
    this.model.readOnly = w.readonly === true;
    this.me = w.me;
    this.prev = typeof w.token === "string" ? { id: w.me, token: w.token } : null;
    this.peers = [...w.peers];
    if (w.elements) {
      const first = Array.isArray(w.first) && w.first.length === w.elements.length ? w.first : null;
      this.model.reset(w.elements, w.seq, first, goneOf(w.gone));
    } else {
      this.model.receive(w.ops ?? []);
      // The old connection was retired before this welcome (hello.prev), so everything still
      // pending is not in the log and never will be: it never arrived, or was refused.
      this.model.markAllUnsent();
    }
    this.hasState = true;
    this.welcomed = true;
    this.viewDirty = this.view !== null; // a new connection: the server has no view of ours
    this.failures = 0;
    this.setKind("connected");
    this.events.welcome(w);
    this.scheduleFlush();
  }

  private onPresence(p: Presence): void {
    if (p.join) {
      const ids = new Set(p.join.map((x) => x.id));
      this.peers = this.peers.filter((x) => !ids.has(x.id)).concat(p.join);
      // Someone new may follow us: they hear our view (the server of another process may not
      // know it yet).
      if (this.view) this.sendView(this.view);
    }
    if (p.view) {
      const byId = new Map(this.peers.map((x) => [x.id, x]));
      for (const [id, x0, y0, x1, y1] of p.view) {
        const peer = byId.get(id);
        if (peer) peer.vp = [x0, y0, x1, y1];
      }
    }
    if (p.leave) {
      const gone = new Set(p.leave);
      this.peers = this.peers.filter((x) => !gone.has(x.id));
    }
  }

  /** Sends on the next animation frame (or soon, if frames are not running: a hidden tab). */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    nextFrame(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (!this.ws || !this.welcomed || this.ws.readyState !== WebSocket.OPEN) return;
    if (this.cursor) {
      this.send({ t: "cursor", ...this.cursor });
      this.cursor = null;
    }
    this.flushPresenting();
    const limits = this.model.limits;
    const ops = this.model.takeUnsent(this.budget.opsAvailable());
    let sent = 0;
    let waitBytes = 0;
    for (const frame of frames(ops, limits.ops_per_frame, limits.frame_bytes)) {
      if (!this.budget.fits(frame.bytes.byteLength)) {
        waitBytes = frame.bytes.byteLength;
        break;
      }
      this.budget.spend(frame.ops.length, frame.bytes.byteLength);
      this.ws.send(frame.bytes);
      sent += frame.ops.length;
    }
    // What the budget did not allow goes back to the queue, in order, for a moment later.
    if (sent < ops.length) this.model.unsend(ops.slice(sent));
    if (this.model.unsentCount > 0) this.flushLater(this.budget.waitMs(waitBytes));
    if (sent > 0) this.expectAnswer();
    this.reportStatus();
  }

  /** Laser points, our view (paced), then a summon, which needs the view sent first. */
  private flushPresenting(): void {
    for (const [x, y] of this.lasers) this.send({ t: "cursor", x, y, laser: true });
    this.lasers = [];
    const view = this.view;
    if (!view || !this.viewDirty) {
      if (this.summonQueued && view) this.send({ t: "summon" });
      this.summonQueued = false;
      return;
    }
    const wait = this.viewSentAt + VIEW_EVERY_MS - performance.now();
    if (this.summonQueued || (wait <= 0 && this.peers.length > 0)) {
      this.send({ t: "view", vp: view });
      this.viewDirty = false;
      this.viewSentAt = performance.now();
      if (this.summonQueued) this.send({ t: "summon" });
      this.summonQueued = false;
    } else if (this.peers.length > 0) {
      this.flushLater(wait);
    }
  }

  private flushTimer: ReturnType<typeof setTimeout> | null = null;

  private flushLater(ms: number): void {
    if (this.flushTimer !== null) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.scheduleFlush();
    }, ms);
  }

  private send(msg: ClientMessage): void {
    this.ws?.send(encodeMessage(msg));
  }

  private setKind(kind: StatusKind): void {
    this.kind = kind;
    this.reportStatus();
  }

  private lastReported = "";

  private reportStatus(): void {
    const s = this.status;
    const key = `${s.kind}/${s.unsaved}/${s.reason ?? ""}`;
    if (key === this.lastReported) return;
    this.lastReported = key;
    this.events.status(s);
  }
}

/** welcome.gone's pairs that are well formed (a malformed one is dropped, not trusted). */
function goneOf(gone: unknown): [string, number][] {
  if (!Array.isArray(gone)) return [];
  return gone.filter(
    (g): g is [string, number] =>
      Array.isArray(g) && typeof g[0] === "string" && Number.isInteger(g[1]),
  );
}
