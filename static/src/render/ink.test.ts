import assert from "node:assert/strict";
import { test } from "node:test";
import { darkInk } from "./ink";

const lightness = (hex: string): number => {
  const v = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return (Math.max(...v) + Math.min(...v)) / 2 / 255;
};

test("black and near-black ink turn light on the dark board, white turns dark", () => {
  for (const c of ["#000000", "#1e1e1e", "#343a40"]) assert.ok(lightness(darkInk(c)) > 0.7, c);
  assert.ok(lightness(darkInk("#ffffff")) < 0.1);
});

test("hue survives: a red stays red, a blue stays blue", () => {
  const red = darkInk("#e03131");
  assert.ok(parseInt(red.slice(1, 3), 16) > parseInt(red.slice(3, 5), 16) * 1.5, red);
  const blue = darkInk("#1971c2");
  assert.ok(parseInt(blue.slice(5, 7), 16) > parseInt(blue.slice(1, 3), 16), blue);
});

test("a fill's alpha is kept and anything not #rrggbb passes through", () => {
  assert.match(darkInk("#fab00533"), /^#[0-9a-f]{6}33$/);
  assert.equal(darkInk("red"), "red");
  assert.equal(darkInk("#abc"), "#abc");
});
