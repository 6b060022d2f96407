/**
 * Compile-time flags, replaced by constants when build.mjs bundles (esbuild `define`): a branch
 * under a false flag, and what only it imports, is left out of the bundle.
 */

/** True only in the browser tests' bundle (`node build.mjs --e2e`): installs window.__wb. */
declare const __TEST_HOOKS__: boolean;

/** The language files in static/src/i18n/locales/, by code (build.mjs reads the folder). */
declare const __LOCALES__: readonly string[];
