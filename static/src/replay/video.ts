/**
 * A WebM video of a stretch of the replay, made in the browser: the history view's canvas is
 * copied every animation frame onto a canvas of our own (with the authors' names when asked)
 * whose `captureStream()` feeds a MediaRecorder. No server work and no codec of ours.
 *
 * The video's clock is computed up front from the ops' times (`schedule`), not from the
 * player's playback: each op has the moment of the video at which it appears, so a video of a
 * given range and speed always lasts the same, whatever the machine's frame rate.
 *
 * MediaRecorder writes no duration into the file: a player learns it by reading to the end.
 * (@fix-webm-duration/fix would write one, but it is CommonJS, and any CommonJS module in the
 * bundle makes esbuild wrap every module in lazy initialisers, which pulls testing/hook.ts's
 * source into the production source map: tests/unit/test_bundle.py refuses that.)
 */

/** The first state shows this long before the first change of the range. */
export const LEAD_MS = 500;
/** The last state stays this long, so the end can be seen. */
export const HOLD_MS = 1000;
/** With "skip idle gaps", as the player: no pause lasts longer than this. */
const MAX_GAP_MS = 600;
/** A name stays in the captions this long (video time) after its author's last change. */
const CAPTION_MS = 1500;
/** Widths offered; the view is scaled down to the one chosen. Encoding in the page has to
 * keep up with real time: on a slow or busy machine a smaller video drops fewer frames. */
export const WIDTHS = [640, 1280, 1920] as const;
const FPS = 30;

export interface VideoRange {
  /** The video starts on the moment after op `from` (0: the empty board)... */
  from: number;
  /** ...and ends on the moment after op `to`. */
  to: number;
  /** Board milliseconds per video millisecond. */
  speed: number;
  skipIdle: boolean;
  captions: boolean;
  /** The video's width at most, in pixels. */
  width: number;
}

export interface VideoSource {
  /** The canvas the replay is painted on. */
  canvas: HTMLCanvasElement;
  background: string;
  /** Shows the moment after op `seq`; `shown()` says when the canvas has it. */
  seek(seq: number): void;
  shown(seq: number): boolean;
  /** Resolves once the canvas has been painted since. */
  painted(): Promise<void>;
  ts(seq: number): number | undefined;
  /** The name of op `seq`'s author, if known. */
  author(seq: number): string | null;
  progress(fraction: number): void;
}

export class Cancelled extends Error {}

/** The first supported WebM type, or null: this browser cannot record (no MediaRecorder). */
export function webmType(): string | null {
  if (typeof MediaRecorder === "undefined") return null;
  // VP8 first: cheaper to encode than VP9, so a busy machine drops fewer frames.
  const types = ["video/webm;codecs=vp8", "video/webm;codecs=vp9", "video/webm"];
  return types.find((type) => MediaRecorder.isTypeSupported(type)) ?? null;
}

/**
 * When each op of (from, to] appears, in video milliseconds, and how long the video lasts.
 * `at[i]` is for op `from + 1 + i`.
 */
export function schedule(
  r: VideoRange,
  ts: (seq: number) => number | undefined,
): { at: number[]; total: number } {
  const at: number[] = [];
  let t = LEAD_MS;
  let prev = ts(r.from + 1) ?? 0;
  for (let s = r.from + 1; s <= r.to; s++) {
    const now = ts(s) ?? prev;
    const gap = Math.max(0, now - prev) / r.speed;
    t += r.skipIdle ? Math.min(gap, MAX_GAP_MS) : gap;
    at.push(t);
    prev = now;
  }
  return { at, total: t + HOLD_MS };
}

/** Records the range; resolves to the WebM file, rejects with Cancelled when `signal` aborts. */
export async function recordVideo(
  r: VideoRange,
  src: VideoSource,
  signal: AbortSignal,
): Promise<Blob> {
  const type = webmType();
  if (!type) throw new Error("no MediaRecorder");
  const { at, total } = schedule(r, (s) => src.ts(s));
  src.seek(r.from);
  await frames(signal, () => src.shown(r.from));
  await src.painted();

  const scale = Math.min(1, r.width / Math.max(1, src.canvas.width));
  const out = document.createElement("canvas");
  out.width = Math.max(2, Math.round((src.canvas.width * scale) / 2) * 2);
  out.height = Math.max(2, Math.round((src.canvas.height * scale) / 2) * 2);
  const ctx = out.getContext("2d");
  if (!ctx) throw new Error("2D canvas is not available");
  const captions = r.captions ? new Captions(r, at, src) : null;
  const paint = (t: number): void => {
    ctx.fillStyle = src.background;
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.drawImage(src.canvas, 0, 0, out.width, out.height);
    captions?.paint(ctx, t, out.width, out.height);
  };
  paint(0);

  const stream = out.captureStream(FPS);
  const recorder = new MediaRecorder(stream, { mimeType: type });
  const chunks: Blob[] = [];
  recorder.addEventListener("dataavailable", (e) => {
    if (e.data.size > 0) chunks.push(e.data);
  });
  const stopped = new Promise<void>((resolve) =>
    recorder.addEventListener("stop", () => resolve(), { once: true }),
  );
  recorder.start(1000);
  const start = performance.now();
  let next = 0; // index in `at` of the first op not shown yet
  try {
    await frames(signal, () => {
      const t = performance.now() - start;
      while (next < at.length && (at[next] as number) <= t) next++;
      src.seek(r.from + next);
      paint(t);
      src.progress(Math.min(1, t / total));
      return t >= total;
    });
  } finally {
    recorder.stop();
    for (const track of stream.getTracks()) track.stop();
  }
  await stopped;
  if (signal.aborted) throw new Cancelled();
  return new Blob(chunks, { type: "video/webm" });
}

/** Calls `step` on every animation frame until it returns true; rejects when aborted. */
function frames(signal: AbortSignal, step: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (signal.aborted) reject(new Cancelled());
      else if (step()) resolve();
      else requestAnimationFrame(tick);
    };
    tick();
  });
}

/** Who drew what was just shown: each author's name for a while after their last change. */
class Captions {
  private readonly names: (string | null)[];

  constructor(
    r: VideoRange,
    private readonly at: readonly number[],
    src: VideoSource,
  ) {
    this.names = at.map((_, i) => src.author(r.from + 1 + i));
  }

  paint(ctx: CanvasRenderingContext2D, t: number, w: number, h: number): void {
    const recent: string[] = [];
    for (let i = this.at.length - 1; i >= 0; i--) {
      const when = this.at[i] as number;
      if (when > t) continue;
      if (t - when > CAPTION_MS) break;
      const name = this.names[i];
      if (name && !recent.includes(name)) recent.push(name);
    }
    if (recent.length === 0) return;
    const text = recent.slice(0, 3).join(" · ");
    const size = Math.max(14, Math.round(h / 24));
    ctx.font = `600 ${size}px system-ui, sans-serif`;
    const width = Math.min(w - size, ctx.measureText(text).width + size);
    const y = h - size * 2.2;
    ctx.fillStyle = "rgba(0, 0, 0, 0.65)";
    ctx.fillRect((w - width) / 2, y, width, size * 1.6);
    ctx.fillStyle = "#ffffff";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText(text, w / 2, y + size * 0.8, w - 2 * size);
  }
}
