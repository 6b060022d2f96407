/**
 * Recently visited boards, kept in this browser only (the server has no accounts to keep them).
 */
import { BOARD_PATTERN } from "../model/validate";
import { load, save } from "./storage";

const KEY = "wb.recent";
const MAX = 12;

export interface RecentBoard {
  id: string;
  /** Last visit, ms since the epoch. */
  at: number;
}

export function recentBoards(): RecentBoard[] {
  const list = load<unknown>(KEY, []);
  if (!Array.isArray(list)) return [];
  return list.filter(
    (b): b is RecentBoard =>
      typeof b === "object" &&
      b !== null &&
      typeof b.id === "string" &&
      BOARD_PATTERN.test(b.id) &&
      typeof b.at === "number",
  );
}

export function rememberBoard(id: string): void {
  const list = recentBoards().filter((b) => b.id !== id);
  list.unshift({ id, at: Date.now() });
  save(KEY, list.slice(0, MAX));
}

export function forgetBoard(id: string): void {
  save(
    KEY,
    recentBoards().filter((b) => b.id !== id),
  );
}
