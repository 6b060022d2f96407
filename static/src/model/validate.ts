/**
 * Validation of ops and elements exactly as PROTOCOL.md states it.
 *
 * The server refuses anything this module refuses, so the client runs the same checks before it
 * applies an op optimistically: a change the server would refuse must never appear on screen,
 * even for the few milliseconds before the refusal arrives. The shared test vectors
 * (tests/vectors/document.json) hold both implementations to the same rules, and
 * tests/unit/test_ts_constants.py the exported constants to the server's.
 */
import type { Element, ErrorCode, Limits, Op, UpdateSet } from "./types";

export const ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
/** PROTOCOL.md: most ids in one delete op. */
export const MAX_IDS_PER_DELETE = 1024;
export const BOARD_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$/; // "\-": also valid as an HTML pattern (v flag)
const COLOR_PATTERN = /^#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$/;
/** PROTOCOL.md 1.1: a blob is named by the SHA-256 of its bytes, in hex. */
export const BLOB_PATTERN = /^[0-9a-f]{64}$/;
/** PROTOCOL.md: largest |x|, |y|, |w|, |h|. */
export const COORD_MAX = 1e7;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const C_MAX = 2 ** 53 - 1;

export type Parsed<T> = { ok: true; value: T } | { ok: false; code: ErrorCode; c?: number };

const refuse = (code: ErrorCode, c?: number): { ok: false; code: ErrorCode; c?: number } =>
  c === undefined ? { ok: false, code } : { ok: false, code, c };

export function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

export const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isInt = (v: unknown): v is number => isNum(v) && Number.isInteger(v);
const isCoord = (v: unknown): boolean => isNum(v) && Math.abs(v) <= COORD_MAX;
const isColor = (v: unknown): boolean => typeof v === "string" && COLOR_PATTERN.test(v);

/** Length in Unicode code points, as PROTOCOL.md counts it (not UTF-16 units). */
export function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** PROTOCOL.md 1.1: longest frame name, in code points. */
export const FRAME_NAME_MAX = 200;
/** PROTOCOL.md 1.1: a label's font size when its shape has no `size`. */
export const LABEL_SIZE = 20;

/** Fields each element type may carry, and which of them are required. */
const COMMON = ["id", "type", "x", "y", "stroke", "z", "locked"];
export const FIELDS: Record<Element["type"], readonly string[]> = {
  pen: [...COMMON, "width", "pts", "ps", "pr"],
  line: [...COMMON, "width", "w", "h", "from", "to"],
  arrow: [...COMMON, "width", "w", "h", "from", "to"],
  rect: [...COMMON, "width", "w", "h", "fill", "angle", "text", "size"],
  ellipse: [...COMMON, "width", "w", "h", "fill", "angle", "text", "size"],
  text: [...COMMON, "text", "size", "angle"],
  image: ["id", "type", "x", "y", "z", "locked", "w", "h", "blob", "angle"],
  note: [...COMMON, "w", "h", "fill", "text", "size", "angle"],
  frame: ["id", "type", "x", "y", "z", "locked", "w", "h", "name"],
};
/** Optional on every type that has them; OPTIONAL_HERE and REQUIRED_HERE are the exceptions. */
const OPTIONAL = new Set(["z", "fill", "ps", "pr", "angle", "locked", "from", "to"]);
const OPTIONAL_HERE: Partial<Record<Element["type"], readonly string[]>> = {
  rect: ["text", "size"],
  ellipse: ["text", "size"],
  note: ["size"],
};
const REQUIRED_HERE: Partial<Record<Element["type"], readonly string[]>> = { note: ["fill"] };
/** Whether `key` is an optional field of this type (one that an update may remove with null). */
export function optional(type: Element["type"], key: string): boolean {
  if (REQUIRED_HERE[type]?.includes(key)) return false;
  return OPTIONAL.has(key) || (OPTIONAL_HERE[type]?.includes(key) ?? false);
}
/** Fields an update may never touch: identity, and the pen's geometry (only `append` grows it). */
const NOT_UPDATABLE = new Set(["id", "type", "pts", "pr", "ps"]);
/**
 * Fields some type may remove with null (checked before the target's type is known; undoing a
 * first turn removes `angle`).
 */
const REMOVABLE = new Set(["fill", "z", "angle", "locked", "from", "to", "text", "size"]);
/** Types whose `w` and `h` must be above 0 (a shape's may be negative: drawn up or left). */
const POSITIVE_SIZE = new Set(["image", "note", "frame"]);

/**
 * Checks one field's value: null if valid, else the refusal's code. `type` is the element's
 * type when known: only a note's text may be empty, so without it an empty text passes.
 */
function fieldError(key: string, v: unknown, limits: Limits, type?: string): ErrorCode | null {
  const ok = (cond: boolean): ErrorCode | null => (cond ? null : "bad_op");
  switch (key) {
    case "x":
    case "y":
    case "w":
    case "h":
      return ok(isCoord(v));
    case "stroke":
    case "fill":
      return ok(isColor(v));
    case "width":
      return ok(isNum(v) && v >= 0.1 && v <= 200);
    case "z":
      return ok(isNum(v));
    case "angle":
      return ok(isNum(v) && Math.abs(v) <= Math.PI);
    case "blob":
      return ok(typeof v === "string" && BLOB_PATTERN.test(v));
    case "size":
      return ok(isNum(v) && v >= 4 && v <= 400);
    case "text":
      if (typeof v !== "string") return "bad_op";
      if (v.length === 0) return type === undefined || type === "note" ? null : "bad_op";
      // Too long is a size limit, like too many points: the same code.
      return codePoints(v) <= limits.text_chars ? null : "too_large";
    case "ps":
      return ok(isInt(v) && v >= 1 && v <= 64);
    case "locked":
      return ok(typeof v === "boolean");
    case "from":
    case "to":
      return ok(typeof v === "string" && ID_PATTERN.test(v));
    case "name":
      return ok(typeof v === "string" && v.length > 0 && codePoints(v) <= FRAME_NAME_MAX);
    default:
      return "bad_op";
  }
}

/**
 * Checks delta-encoded points: size limits first (an oversized stroke is too_large whatever
 * it holds, as on the server), then the values. `perOp` also applies values_per_op.
 */
function pointsError(v: unknown, limits: Limits, perOp: boolean): ErrorCode | null {
  if (!Array.isArray(v)) return "bad_op";
  if (perOp && v.length > limits.values_per_op) return "too_large";
  if (v.length > limits.values_per_element) return "too_large";
  if (v.length < 2 || v.length % 2 !== 0) return "bad_op";
  for (const n of v) if (!isInt(n) || n < INT32_MIN || n > INT32_MAX) return "bad_op";
  return null;
}

function validPressures(v: unknown, points: number): v is number[] {
  return Array.isArray(v) && v.length === points && v.every((n) => isInt(n) && n >= 0 && n <= 255);
}

/** Checks an element of an `add` op; the result is a fresh object holding only known keys. */
export function parseElement(raw: unknown, limits: Limits): Parsed<Element> {
  if (!isMap(raw)) return refuse("bad_op");
  const type = raw["type"];
  if (typeof type !== "string" || !Object.hasOwn(FIELDS, type)) return refuse("bad_op");
  const fields = FIELDS[type as Element["type"]];
  for (const key of Object.keys(raw)) if (!fields.includes(key)) return refuse("bad_op");
  if (typeof raw["id"] !== "string" || !ID_PATTERN.test(raw["id"])) return refuse("bad_op");
  for (const key of fields) {
    if (key === "id" || key === "type") continue;
    if (!Object.hasOwn(raw, key)) {
      if (optional(type as Element["type"], key)) continue;
      return refuse("bad_op");
    }
  }
  for (const [key, v] of Object.entries(raw)) {
    if (key === "id" || key === "type" || key === "pr") continue;
    let code: ErrorCode | null;
    if (key === "pts") {
      code = pointsError(v, limits, true);
      if (
        !code &&
        Object.hasOwn(raw, "pr") &&
        !validPressures(raw["pr"], (v as number[]).length / 2)
      ) {
        code = "bad_op";
      }
    } else {
      code = fieldError(key, v, limits, type);
    }
    if (code) return refuse(code);
  }
  if (!sizeFits(type, raw)) return refuse("bad_op");
  return { ok: true, value: { ...raw } as unknown as Element };
}

/** Pictures, notes and frames have a size above 0 (a shape's may be negative: drawn up or left). */
export function sizeFits(type: string, el: Record<string, unknown>): boolean {
  return !POSITIVE_SIZE.has(type) || ((el["w"] as number) > 0 && (el["h"] as number) > 0);
}

/**
 * What an update's `set` may do to an element of this type, beyond parseOp's checks of the
 * values alone: null for its optional fields only, and the type's own rules (a note's text may
 * be empty, a rect's label may not). Null if it may, else the refusal's code.
 */
export function setError(type: Element["type"], set: UpdateSet, limits: Limits): ErrorCode | null {
  for (const [key, v] of Object.entries(set)) {
    if (!updatable(type, key)) return "bad_op";
    if (v === null) {
      if (!optional(type, key)) return "bad_op";
    } else if (key === "text") {
      const code = fieldError(key, v, limits, type);
      if (code) return code;
    }
  }
  return null;
}

/**
 * Checks the shape of one op of an `ops` frame. What depends on the board (is the id live, is
 * the field one of this element's type) is the Document's business, not this function's.
 */
export function parseOp(raw: unknown, limits: Limits): Parsed<Op> {
  if (!isMap(raw)) return refuse("bad_op");
  const c = raw["c"];
  if (!isInt(c) || c < 0 || c > C_MAX) return refuse("bad_op");
  const only = (...keys: string[]): boolean => Object.keys(raw).every((k) => keys.includes(k));
  const isId = (v: unknown): v is string => typeof v === "string" && ID_PATTERN.test(v);
  switch (raw["k"]) {
    case "add": {
      if (!only("k", "c", "e")) return refuse("bad_op", c);
      const e = parseElement(raw["e"], limits);
      if (!e.ok) return refuse(e.code, c);
      return { ok: true, value: { k: "add", c, e: e.value } };
    }
    case "append": {
      if (!only("k", "c", "id", "pts", "pr")) return refuse("bad_op", c);
      if (!Object.hasOwn(raw, "id") || !Object.hasOwn(raw, "pts")) return refuse("bad_op", c);
      const { id, pts, pr } = raw;
      if (!isId(id)) return refuse("bad_op", c);
      const code = pointsError(pts, limits, true);
      if (code) return refuse(code, c);
      const points = (pts as number[]).length / 2;
      if (Object.hasOwn(raw, "pr") && !validPressures(pr, points)) return refuse("bad_op", c);
      const values = pts as number[];
      const op: Op =
        pr === undefined
          ? { k: "append", c, id, pts: values }
          : { k: "append", c, id, pts: values, pr: pr as number[] };
      return { ok: true, value: op };
    }
    case "update": {
      if (!only("k", "c", "id", "set")) return refuse("bad_op", c);
      const { id, set } = raw;
      if (!isId(id) || !isMap(set) || Object.keys(set).length === 0) return refuse("bad_op", c);
      for (const [key, v] of Object.entries(set)) {
        if (NOT_UPDATABLE.has(key)) return refuse("bad_op", c);
        if (v === null) {
          if (!REMOVABLE.has(key)) return refuse("bad_op", c);
          continue;
        }
        const code = fieldError(key, v, limits);
        if (code) return refuse(code, c);
      }
      return { ok: true, value: { k: "update", c, id, set: { ...set } as UpdateSet } };
    }
    case "delete": {
      if (!only("k", "c", "ids")) return refuse("bad_op", c);
      const ids = raw["ids"];
      if (
        !Array.isArray(ids) ||
        ids.length < 1 ||
        ids.length > MAX_IDS_PER_DELETE ||
        !ids.every(isId)
      ) {
        return refuse("bad_op", c);
      }
      return { ok: true, value: { k: "delete", c, ids: [...ids] } };
    }
    default:
      return refuse("bad_op", c);
  }
}

/** Whether `key` may be set by an update on an element of this type (besides the shape checks). */
export function updatable(type: Element["type"], key: string): boolean {
  return FIELDS[type].includes(key) && !NOT_UPDATABLE.has(key);
}
