/**
 * Light or dark: follows the device (prefers-color-scheme) unless the visitor picked one,
 * which this browser remembers. The page's colours come from CSS variables under
 * `<html data-theme>`; the canvas asks `dark` when it paints (render/ink.ts).
 */
import { load, save } from "../util/storage";

export type ThemeChoice = "system" | "light" | "dark";

const KEY = "wb.theme";

class Theme {
  private readonly query =
    typeof matchMedia === "function" ? matchMedia("(prefers-color-scheme: dark)") : null;
  private listeners: (() => void)[] = [];
  choice: ThemeChoice = "system";

  constructor() {
    const saved = load<unknown>(KEY, "system");
    if (saved === "light" || saved === "dark") this.choice = saved;
    this.query?.addEventListener("change", () => this.apply());
  }

  get dark(): boolean {
    return this.choice === "dark" || (this.choice === "system" && this.query?.matches === true);
  }

  set(choice: ThemeChoice): void {
    this.choice = choice;
    save(KEY, choice);
    this.apply();
  }

  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  /** Sets `<html data-theme>` and tells the canvas and whoever listens. */
  apply(): void {
    const root = document.documentElement;
    root.dataset["theme"] = this.dark ? "dark" : "light";
    for (const fn of this.listeners) fn();
  }
}

export const theme = new Theme();
