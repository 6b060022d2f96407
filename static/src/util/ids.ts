/**
 * Random ids for elements. Element ids are chosen by the client (PROTOCOL.md), so
 * they must be collision-free in practice: 16 characters of 64 give 96 bits of randomness.
 */
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

export function randomId(length = 16, alphabet = ALPHABET): string {
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  let out = "";
  // 256 is a multiple of 64, so `% 64` is unbiased; shorter alphabets accept a tiny bias.
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}
