/**
 * The service worker (served at /sw.js, scope /): keeps the app shell so a board visited once
 * opens without a network, and the app then shows the board from its local copy
 * (net/local-copy.ts) with "offline" and the changes waiting.
 *
 * - Pages (`/`, `/b/{board}`): network first, so a reachable server always wins; the cache
 *   answers only when the network fails.
 * - The bundle (`/static/`): cache first. Its URLs change with its content (Tornado's `?v=`
 *   hash, esbuild's hashed chunk names), so a cached file is never stale.
 * - `/api/`, `/ws/` and everything else: never touched, never cached. Board content is the
 *   server's and the app's business, not a cache's.
 *
 * The cache is named after the build (`__SW_VERSION__`, a hash of the bundle that build.mjs
 * computes): a new build changes this file, the browser installs it, and the old cache goes.
 */
export {};

declare const __SW_VERSION__: string;

/** The parts of the service worker global scope used here (tsconfig has the DOM lib only). */
interface SwEvent extends Event {
  waitUntil(p: Promise<unknown>): void;
}
interface SwFetchEvent extends SwEvent {
  readonly request: Request;
  respondWith(r: Promise<Response>): void;
}
interface SwScope {
  addEventListener(type: "install" | "activate", fn: (e: SwEvent) => void): void;
  addEventListener(type: "fetch", fn: (e: SwFetchEvent) => void): void;
  skipWaiting(): Promise<void>;
  readonly clients: { claim(): Promise<void> };
  readonly location: Location;
}

const sw = self as unknown as SwScope;
const CACHE = `wb-shell-${__SW_VERSION__}`;

/** Which strategy a same-origin GET gets, or null: not ours to answer. */
export function strategy(path: string): "page" | "static" | null {
  if (path === "/" || /^\/b\/[^/]+$/.test(path)) return "page";
  if (path.startsWith("/static/")) return "static";
  return null;
}

async function networkFirst(request: Request): Promise<Response> {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request.url, response.clone());
    return response;
  } catch (e) {
    const cached = await cache.match(request.url);
    if (cached) return cached;
    throw e;
  }
}

async function cacheFirst(request: Request): Promise<Response> {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request.url);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) await cache.put(request.url, response.clone());
  return response;
}

sw.addEventListener("install", (e) => {
  // Nothing to fetch ahead: the page warms the cache with what it loaded (see register.ts).
  e.waitUntil(sw.skipWaiting());
});

sw.addEventListener("activate", (e) => {
  e.waitUntil(
    (async () => {
      for (const name of await caches.keys())
        if (name.startsWith("wb-shell-") && name !== CACHE) await caches.delete(name);
      await sw.clients.claim();
    })(),
  );
});

sw.addEventListener("fetch", (e) => {
  const request = e.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== sw.location.origin) return;
  const how = strategy(url.pathname);
  if (how === "page") e.respondWith(networkFirst(request));
  else if (how === "static") e.respondWith(cacheFirst(request));
});
