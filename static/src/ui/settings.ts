/**
 * The visitor's own settings, on every page: appearance (like the device, light, dark) and
 * language. Both are remembered by this browser; a new language reloads the page.
 */
import { LANGUAGES, language, languageName, setLanguage, t } from "../i18n/i18n";
import { h } from "./dom";
import { theme, type ThemeChoice } from "./theme";

export function settingsControls(): HTMLElement {
  const themeSelect = h(
    "select",
    { id: "theme-select", "data-testid": "theme" },
    h("option", { value: "system", text: t("menu.themeSystem") }),
    h("option", { value: "light", text: t("menu.themeLight") }),
    h("option", { value: "dark", text: t("menu.themeDark") }),
  );
  themeSelect.value = theme.choice;
  themeSelect.addEventListener("change", () => theme.set(themeSelect.value as ThemeChoice));

  const langSelect = h(
    "select",
    { id: "language-select", "data-testid": "language" },
    ...LANGUAGES.map((code) => h("option", { value: code, lang: code, text: languageName(code) })),
  );
  langSelect.value = language();
  langSelect.addEventListener("change", () => setLanguage(langSelect.value));

  return h(
    "div",
    { class: "settings" },
    h("label", { for: "theme-select", text: t("menu.theme") }),
    themeSelect,
    h("label", { for: "language-select", text: t("menu.language") }),
    langSelect,
  );
}
