/** The upload helpers that need no browser (blobs.ts). */
import assert from "node:assert/strict";
import { before, test } from "node:test";
import i18next from "i18next";
import en from "../i18n/locales/en.json";
import { fmtBytes, sniffImageType, uploadFailureText } from "./blobs";

// The sentences come from the English locale file, as on a page in English (i18n.ts).
before(async () => {
  await i18next.init({
    lng: "en",
    resources: { en: { translation: en } },
    interpolation: { escapeValue: false },
  });
});

const bytes = (...v: number[]): Uint8Array => new Uint8Array(v);
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

test("the type sent is the one the bytes show, whatever the file is called", () => {
  assert.equal(sniffImageType(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)), "image/png");
  assert.equal(sniffImageType(bytes(0xff, 0xd8, 0xff, 0xe0)), "image/jpeg");
  assert.equal(sniffImageType(bytes(...ascii("GIF89a"))), "image/gif");
  assert.equal(sniffImageType(bytes(...ascii("GIF87a"))), "image/gif");
  assert.equal(
    sniffImageType(bytes(...ascii("RIFF"), 1, 2, 3, 4, ...ascii("WEBPVP8L"))),
    "image/webp",
  );
  assert.equal(sniffImageType(bytes(...ascii("RIFF"), 1, 2, 3, 4, ...ascii("WAVE"))), null);
  assert.equal(sniffImageType(bytes(...ascii("<svg xmlns="))), null);
  assert.equal(sniffImageType(bytes(...ascii("<!doctype html>"))), null);
  assert.equal(sniffImageType(bytes()), null);
});

test("refusals without a sentence from the server are still said in words", () => {
  assert.match(uploadFailureText(413), /too large/);
  assert.match(uploadFailureText(403), /edit link/);
  assert.match(uploadFailureText(0), /reach the server/);
  assert.match(uploadFailureText(502), /502/);
});

test("sizes read like a person would say them", () => {
  assert.equal(fmtBytes(10 << 20), "10 MB");
  assert.equal(fmtBytes(1.5 * (1 << 20)), "1.5 MB");
  assert.equal(fmtBytes(300 * 1024), "300 KB");
  assert.equal(fmtBytes(10), "1 KB");
});
