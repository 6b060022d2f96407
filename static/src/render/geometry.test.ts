/**
 * Turned elements (PROTOCOL.md 1.1 `angle`): where they are and where they can be clicked.
 * And a pen's box, worked out from its deltas without decoding its points.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodePoints } from "../model/points";
import type { ImageElement, PenElement, ShapeElement } from "../model/types";
import { bounds, centreOf, hitTest, penSize, rotatePoint } from "./geometry";

const BLOB = "ab".repeat(32);
const image = (angle?: number): ImageElement => ({
  id: "i",
  type: "image",
  x: 0,
  y: 0,
  w: 200,
  h: 100,
  blob: BLOB,
  ...(angle === undefined ? {} : { angle }),
});

const close = (a: number, b: number): boolean => Math.abs(a - b) < 1e-9;

test("a quarter turn swaps an image's extent about its centre", () => {
  const b = bounds(image(Math.PI / 2));
  assert.ok(close(b.minX, 50) && close(b.maxX, 150), JSON.stringify(b));
  assert.ok(close(b.minY, -50) && close(b.maxY, 150), JSON.stringify(b));
  assert.deepEqual(bounds(image()), { minX: 0, minY: 0, maxX: 200, maxY: 100 });
});

test("a turned element is hit where it is drawn, not where it was", () => {
  const el = image(Math.PI / 2);
  assert.equal(hitTest(el, { x: 100, y: -40 }, 1), true, "inside the turned picture");
  assert.equal(hitTest(el, { x: 10, y: 50 }, 1), false, "where its left end was");
  assert.equal(hitTest(image(), { x: 10, y: 50 }, 1), true);
});

test("turning is clockwise on screen, about the centre, negative sizes included", () => {
  const p = rotatePoint({ x: 1, y: 0 }, { x: 0, y: 0 }, Math.PI / 2);
  assert.ok(close(p.x, 0) && close(p.y, 1), "x axis turns towards y (down)");
  const r: ShapeElement = {
    id: "r",
    type: "rect",
    x: 100,
    y: 100,
    w: -40,
    h: -20,
    stroke: "#000000",
    width: 2,
    angle: Math.PI,
  };
  assert.deepEqual(centreOf(r), { x: 80, y: 90 });
  const b = bounds(r);
  // Half a turn covers the same box (plus the stroke's padding).
  assert.ok(close(b.minX, 58) && close(b.maxX, 102) && close(b.minY, 78) && close(b.maxY, 102));
});

test("a pen's box is its decoded points' extremes padded by its ink, exactly", () => {
  let seed = 7;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return (seed % (2 * n + 1)) - n;
  };
  for (let k = 0; k < 200; k++) {
    const pts = Array.from({ length: 2 * (1 + (k % 40)) }, () => next(50));
    const pen: PenElement = {
      id: `p${k}`,
      type: "pen",
      x: next(1000) / 7,
      y: next(1000) / 3,
      stroke: "#000000",
      width: 1 + (k % 9),
      pts,
      ...(k % 3 ? { ps: 1 + (k % 64) } : {}),
    };
    const decoded = decodePoints(pen);
    const xs = decoded.filter((_, i) => i % 2 === 0);
    const ys = decoded.filter((_, i) => i % 2 === 1);
    const pad = penSize(pen.width) / 2 + 1;
    assert.deepEqual(bounds(pen), {
      minX: Math.min(...xs) - pad,
      minY: Math.min(...ys) - pad,
      maxX: Math.max(...xs) + pad,
      maxY: Math.max(...ys) + pad,
    });
  }
});
