/**
 * Display names. A first visit gets a friendly generated name at once, so nobody has to fill
 * in a dialog before drawing; it is kept in localStorage and can be changed in the people list.
 */
import { load, save } from "../util/storage";

const KEY = "wb.name";
const ADJECTIVES = [
  "Brave",
  "Calm",
  "Clever",
  "Cosy",
  "Curious",
  "Eager",
  "Gentle",
  "Happy",
  "Jolly",
  "Kind",
  "Lively",
  "Lucky",
  "Merry",
  "Nimble",
  "Quiet",
  "Sunny",
  "Swift",
  "Witty",
];
const ANIMALS = [
  "Badger",
  "Beaver",
  "Crane",
  "Dolphin",
  "Falcon",
  "Fox",
  "Heron",
  "Koala",
  "Lynx",
  "Marten",
  "Otter",
  "Owl",
  "Panda",
  "Puffin",
  "Robin",
  "Seal",
  "Tiger",
  "Wombat",
];

const pick = (list: readonly string[]): string =>
  list[Math.floor(Math.random() * list.length)] as string;

/** 1 to 40 characters after trimming, as PROTOCOL.md requires of hello.name. */
export function cleanName(raw: string): string | null {
  const name = raw.trim();
  const n = [...name].length;
  return n >= 1 && n <= 40 ? name : null;
}

export function storedName(): string {
  const saved = load<unknown>(KEY, null);
  if (typeof saved === "string" && cleanName(saved)) return cleanName(saved) as string;
  const fresh = `${pick(ADJECTIVES)} ${pick(ANIMALS)}`;
  save(KEY, fresh);
  return fresh;
}

export function storeName(name: string): void {
  save(KEY, name);
}
