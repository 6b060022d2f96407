/**
 * The HTTP side of history (PROTOCOL.md "HTTP" and docs/protocol.md): log pages, the state at
 * any seq, forks, and the addresses of the server's exports.
 *
 * Reads ask for msgpack: a page of 10,000 pen appends is several times smaller and faster to
 * decode than its JSON. The server is trusted to follow the protocol, but answers are checked
 * as far as the caller relies on them, so a wrong answer becomes an ApiFailure, not a crash.
 */
import { decode } from "@msgpack/msgpack";
import { httpReason, t } from "../i18n/i18n";
import type { Element, ServerOp } from "../model/types";
import { isMap } from "../model/validate";

const MSGPACK = "application/msgpack";

/** A request that failed; `message` is a sentence a person can read. */
export class ApiFailure extends Error {}

export interface OpsPage {
  ops: ServerOp[];
  /** Client id (as a string, as on the wire) -> display name, for this page's authors. */
  names: Record<string, string>;
}

export interface StateAt {
  seq: number;
  elements: Element[];
}

const boardPath = (board: string): string => `/api/boards/${encodeURIComponent(board)}`;

/** The server's `{error}` sentence, if the body has one. */
async function errorText(r: Response): Promise<string | null> {
  try {
    const body: unknown =
      r.headers.get("Content-Type")?.includes(MSGPACK) === true
        ? decode(new Uint8Array(await r.arrayBuffer()))
        : await r.json();
    return isMap(body) && typeof body["error"] === "string" ? body["error"] : null;
  } catch {
    return null;
  }
}

async function request(url: string, init: RequestInit): Promise<unknown> {
  let r: Response;
  try {
    r = await fetch(url, { ...init, headers: { Accept: MSGPACK, ...init.headers } });
  } catch {
    throw new ApiFailure(t("api.unreachable"));
  }
  if (!r.ok) {
    throw new ApiFailure(t("api.failed", { why: httpReason(r.status, await errorText(r)) }));
  }
  try {
    return r.headers.get("Content-Type")?.includes(MSGPACK) === true
      ? decode(new Uint8Array(await r.arrayBuffer()))
      : await r.json();
  } catch {
    throw new ApiFailure(t("api.unreadable"));
  }
}

/** Ops after `after` (at most `limit`), each with its `ts`, and the names of their authors. */
export async function fetchOpsPage(board: string, after: number, limit: number): Promise<OpsPage> {
  const url = `${boardPath(board)}/ops?after=${after}&limit=${limit}`;
  const body = await request(url, {});
  if (!isMap(body) || !Array.isArray(body["ops"])) {
    throw new ApiFailure(t("history.bad.page"));
  }
  const ops = body["ops"] as unknown[];
  ops.forEach((sop, i) => {
    if (!isMap(sop) || sop["s"] !== after + i + 1 || typeof sop["by"] !== "number") {
      throw new ApiFailure(t("history.bad.order"));
    }
  });
  const names: Record<string, string> = {};
  const raw = body["names"];
  if (isMap(raw)) {
    for (const [id, name] of Object.entries(raw)) if (typeof name === "string") names[id] = name;
  }
  return { ops: ops as ServerOp[], names };
}

/** The board's state right after op `at` (0: empty), as the server computes it. */
export async function fetchStateAt(board: string, at: number): Promise<StateAt> {
  const body = await request(`${boardPath(board)}?at=${at}`, {});
  if (!isMap(body) || typeof body["seq"] !== "number" || !Array.isArray(body["elements"])) {
    throw new ApiFailure(t("history.bad.snapshot"));
  }
  return { seq: body["seq"], elements: body["elements"] as Element[] };
}

/** Copies the board as it was after op `at` into a new board; returns the new board's id. */
export async function forkAt(board: string, at: number): Promise<string> {
  const body = await request(`${boardPath(board)}/fork?at=${at}`, { method: "POST" });
  if (!isMap(body) || typeof body["board"] !== "string") {
    throw new ApiFailure(t("history.bad.fork"));
  }
  return body["board"];
}

/** Where the server renders the board at `at` as SVG. */
export const svgUrl = (board: string, at: number): string =>
  `${boardPath(board)}/export.svg?at=${at}`;

/** Where the server renders the board at `at` as PDF (a page per frame). */
export const pdfUrl = (board: string, at: number): string =>
  `${boardPath(board)}/export.pdf?at=${at}`;

/** The link that opens this board's history at `at` (PROTOCOL.md 1.1, `/b/{board}?at=S`). */
export const momentLink = (board: string, at: number): string =>
  `${location.origin}/b/${encodeURIComponent(board)}?at=${at}`;

/** Where the server writes the board file (state, whole log, names) as of `at`. */
export const boardFileUrl = (board: string, at: number): string =>
  `${boardPath(board)}/export.wbd?at=${at}`;
