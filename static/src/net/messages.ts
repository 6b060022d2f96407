/**
 * The frames of PROTOCOL.md and their msgpack encoding.
 *
 * Incoming frames are checked only as far as the client relies on them: the server is trusted
 * to follow the protocol, but a malformed frame must not throw deep inside the model.
 */
import { decode, encode } from "@msgpack/msgpack";
import { isMap } from "../model/validate";
import { decodeCompactOps } from "./compact";
import type { Element, Limits, Op, Peer, ServerOp } from "../model/types";

/**
 * The close codes the server sends (PROTOCOL.md "Transport", docs/protocol.md), named as
 * whiteboard/protocol names them; tests/vectors/close_codes.json holds both to the same numbers.
 */
export const CLOSE = {
  /** A newer connection of this client took over (hello.prev). */
  NORMAL: 1000,
  /** The server is restarting: resume at once. */
  GOING_AWAY: 1001,
  UNSUPPORTED: 1003,
  INVALID: 1007,
  /** A bad hello, too many refusals, too many connections: a retry would repeat it. */
  POLICY: 1008,
  TOO_BIG: 1009,
  /** The server could not store the board's ops: resume at once. */
  SERVER_ERROR: 1011,
  /** We read too slowly, or the board cannot be opened now: resume at once. */
  TRY_AGAIN: 1013,
} as const;

/**
 * The codes this app closes its own socket with (4000-4999, RFC 6455's private range; the
 * server never sends them). Named in whiteboard/protocol too, so no server code takes them.
 */
export const APP_CLOSE = {
  /** The browser went offline (or a test blocked the connection). */
  OFFLINE: 4000,
  /** A deliberate reconnect, e.g. to announce a new name. */
  RECONNECT: 4001,
  /** A gap in sequence numbers or a divergence: start over. */
  RESYNC: 4002,
  /** No answer from the server in time: the connection is taken for half-open. */
  NO_ANSWER: 4003,
} as const;

export interface Welcome {
  t: "welcome";
  v: number;
  board: string;
  me: number;
  color: string;
  seq: number;
  peers: Peer[];
  elements: Element[] | null;
  ops: ServerOp[] | null;
  limits: Partial<Limits>;
  /** docs/protocol.md addition: this connection may only watch (a protected board, no key). */
  readonly?: boolean;
  /** docs/protocol.md addition: this connection's secret, sent back in the next hello's `prev`. */
  token?: string;
  /** docs/protocol.md addition (with `elements` only): the first-add seq of each element. */
  first?: number[];
  /** docs/protocol.md addition (with `elements` only): `[id, first-add seq]` of deleted ids. */
  gone?: [string, number][];
}

export interface OpsFrame {
  t: "ops";
  /** Absent when the ops came in a compact frame (docs/protocol.md "Compact live ops"). */
  ts?: number;
  ops: ServerOp[];
}

export interface ErrFrame {
  t: "err";
  code: string;
  msg: string;
  c?: number;
}

/** A board rectangle [x0, y0, x1, y1] someone sees (PROTOCOL.md 1.1 "Presence"). */
export type ViewRect = [number, number, number, number];

export interface Presence {
  t: "presence";
  join?: Peer[];
  leave?: number[];
  cur?: [number, number | null, number | null][];
  /** Version 1.1: viewports that changed this tick, [id, x0, y0, x1, y1] each. */
  view?: [number, number, number, number, number][];
  /** Version 1.1: this tick's laser points, in order, [id, x, y] each. */
  laser?: [number, number, number][];
}

/** Version 1.1: `by` asks everyone to come to its view `vp`. */
export interface Summon {
  t: "summon";
  by: number;
  vp: ViewRect;
}

export type ServerMessage = Welcome | OpsFrame | ErrFrame | Presence | Summon;

export type ClientMessage =
  | {
      t: "hello";
      v: 1;
      name: string;
      since?: number;
      key?: string;
      /** Ask for compact ops frames (docs/protocol.md "Compact live ops"). */
      compact?: 1;
      /** The connection this one replaces (docs/protocol.md "Reconnecting without doubles"). */
      prev?: { id: number; token: string };
    }
  | { t: "ops"; ops: Op[] }
  | { t: "cursor"; x: number | null; y: number | null; laser?: true }
  | { t: "view"; vp: ViewRect }
  | { t: "summon" };

/** Encodes a client frame. Absent optional fields must not become msgpack nil. */
export function encodeMessage(msg: ClientMessage): Uint8Array {
  return encode(msg, { ignoreUndefined: true });
}

/** Decodes a server frame, or returns null if it is not one this client understands. */
export function decodeMessage(data: ArrayBuffer): ServerMessage | null {
  let msg: unknown;
  try {
    msg = decode(new Uint8Array(data));
  } catch {
    return null;
  }
  if (Array.isArray(msg)) {
    // Only compact ops frames are arrays; every other server frame is a map.
    const ops = decodeCompactOps(msg);
    return ops ? { t: "ops", ops } : null;
  }
  if (!isMap(msg)) return null;
  switch (msg["t"]) {
    case "welcome":
      return typeof msg["me"] === "number" && typeof msg["seq"] === "number"
        ? (msg as unknown as Welcome)
        : null;
    case "ops":
      return Array.isArray(msg["ops"]) ? (msg as unknown as OpsFrame) : null;
    case "err":
      return typeof msg["code"] === "string" ? (msg as unknown as ErrFrame) : null;
    case "presence":
      return msg as unknown as Presence;
    case "summon":
      return typeof msg["by"] === "number" && isRect(msg["vp"]) ? (msg as unknown as Summon) : null;
    default:
      return null;
  }
}

/** A usable viewport rectangle: four finite numbers, of positive size. */
export function isRect(v: unknown): v is ViewRect {
  return (
    Array.isArray(v) &&
    v.length === 4 &&
    v.every((n) => typeof n === "number" && Number.isFinite(n)) &&
    v[0] < v[2] &&
    v[1] < v[3]
  );
}
