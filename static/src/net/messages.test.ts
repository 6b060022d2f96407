/**
 * The close codes this app compares against are the server's: both sides name exactly the codes
 * of tests/vectors/close_codes.json (tests/unit/test_protocol.py holds whiteboard/protocol to
 * the same file).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { APP_CLOSE, CLOSE } from "./messages";

const vector = JSON.parse(readFileSync("tests/vectors/close_codes.json", "utf8")) as {
  CLOSE: Record<string, number>;
  APP_CLOSE: Record<string, number>;
};

test("close codes: the server's, as whiteboard/protocol names them", () => {
  assert.deepEqual({ ...CLOSE }, vector.CLOSE);
});

test("close codes: the app's own, in the private range", () => {
  assert.deepEqual({ ...APP_CLOSE }, vector.APP_CLOSE);
  for (const code of Object.values(APP_CLOSE)) assert.ok(code >= 4000 && code <= 4999);
});
