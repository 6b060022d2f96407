/**
 * SendBudget: the server's rate limits (welcome.limits, docs/protocol.md), kept on our side.
 *
 * The server gives each connection a bucket of `ops_burst` ops refilled at `ops_per_s`, and one
 * of `bytes_burst` frame bytes refilled at `bytes_per_s`; what goes beyond is refused, and too
 * many refusals close the connection for good. Drawing never comes near that, but a big action
 * (restoring an old version of a busy board, duplicating thousands of elements) would. So the
 * connection sends only what the buckets allow and keeps the rest for a moment later. The
 * buckets are kept a little smaller and slower than the server's: frames we space out may still
 * reach it together.
 */
const MARGIN = 0.9;

export interface RateLimits {
  ops_per_s: number;
  ops_burst: number;
  bytes_per_s?: number;
  bytes_burst?: number;
}

export class SendBudget {
  private ops = 0;
  private bytes = 0;
  private opsRate = 0;
  private opsMax = 0;
  private bytesRate = Infinity;
  private bytesMax = Infinity;
  private last = 0;

  constructor(limits: RateLimits, now = performance.now()) {
    this.reset(limits, now);
  }

  /** A new connection: the server's buckets start full. */
  reset(limits: RateLimits, now = performance.now()): void {
    this.opsRate = limits.ops_per_s * MARGIN;
    this.opsMax = Math.max(1, Math.floor(limits.ops_burst * MARGIN));
    this.bytesRate = (limits.bytes_per_s ?? Infinity) * MARGIN;
    this.bytesMax = (limits.bytes_burst ?? Infinity) * MARGIN;
    this.ops = this.opsMax;
    this.bytes = this.bytesMax;
    this.last = now;
  }

  private refill(now: number): void {
    const dt = Math.max(0, now - this.last) / 1000;
    this.last = now;
    this.ops = Math.min(this.opsMax, this.ops + dt * this.opsRate);
    this.bytes = Math.min(this.bytesMax, this.bytes + dt * this.bytesRate);
  }

  /** Whole ops that may be sent now. */
  opsAvailable(now = performance.now()): number {
    this.refill(now);
    return Math.floor(this.ops);
  }

  /** Whether a frame of `bytes` may be sent now. */
  fits(bytes: number, now = performance.now()): boolean {
    this.refill(now);
    // A frame larger than the whole bucket can never fit: send it when the bucket is full.
    return this.bytes >= Math.min(bytes, this.bytesMax);
  }

  spend(ops: number, bytes: number): void {
    this.ops -= ops;
    this.bytes -= Math.min(bytes, this.bytesMax);
  }

  /** Milliseconds until one more op and `bytes` more bytes are available. */
  waitMs(bytes = 0): number {
    const forOps = this.ops >= 1 ? 0 : ((1 - this.ops) / this.opsRate) * 1000;
    const need = Math.min(bytes, this.bytesMax) - this.bytes;
    const forBytes = need <= 0 ? 0 : (need / this.bytesRate) * 1000;
    return Math.ceil(Math.max(forOps, forBytes, 1));
  }
}
