/**
 * Compact ops frames (docs/protocol.md "Compact live ops") read back as the server ops of the
 * PROTOCOL.md frame: the shared vectors (tests/vectors/compact.json) hold the server's encoder
 * and this decoder to the same bytes.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { encode } from "@msgpack/msgpack";
import { decodeMessage } from "./messages";

interface Case {
  name: string;
  sops: Record<string, unknown>[];
  frame: string;
}

const cases = JSON.parse(readFileSync("tests/vectors/compact.json", "utf8")) as Case[];

function bytes(hex: string): ArrayBuffer {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out.buffer;
}

function frame(value: unknown): ArrayBuffer {
  const b = encode(value);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

for (const cs of cases) {
  test(`compact: ${cs.name}`, () => {
    assert.deepEqual(decodeMessage(bytes(cs.frame)), { t: "ops", ops: cs.sops });
  });
}

test("a PROTOCOL.md ops frame still decodes as it is", () => {
  const msg = { t: "ops", ts: 5, ops: [{ k: "delete", c: 1, ids: ["a"], s: 3, by: 2 }] };
  assert.deepEqual(decodeMessage(frame(msg)), msg);
});

test("malformed compact frames are dropped, not thrown", () => {
  for (const bad of [
    [],
    [1],
    ["1", [2, 3, "id", [0, 0]]],
    [1.5, [2, 3, "id", [0, 0]]],
    [1, [2, 3, "id"]],
    [1, [2, 3, 4, [0, 0]]],
    [1, [2, 3, "id", [0, 0], 7]],
    [1, [2, 3, "id", [0, 0], [1], 9]],
    [1, "op"],
    [1, null],
  ]) {
    assert.equal(decodeMessage(frame(bad)), null, JSON.stringify(bad));
  }
});
