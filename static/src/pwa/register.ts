/**
 * Registers the service worker (pwa/sw.ts, served at /sw.js) and, the first time it takes
 * control, warms its cache with what this page already loaded: the page's own request came
 * before there was a worker to see it, and the page must open offline after this one visit.
 */

/** This page's URL and the bundle files it loaded (the worker caches only these paths). */
function shellUrls(): string[] {
  const urls = new Set([location.href.split("#")[0] as string]);
  for (const entry of performance.getEntriesByType("resource")) {
    const url = new URL(entry.name);
    if (url.origin === location.origin && url.pathname.startsWith("/static/")) urls.add(url.href);
  }
  return [...urls];
}

/** Fetched through the worker, which keeps a copy of each; failures only mean less offline. */
function warm(): void {
  for (const url of shellUrls()) fetch(url, { credentials: "same-origin" }).catch(() => {});
}

export function registerServiceWorker(): void {
  const sw = navigator.serviceWorker as ServiceWorkerContainer | undefined;
  // Not there on plain-http hosts other than localhost (a secure context is needed).
  if (!sw || !window.isSecureContext) return;
  // The first control, and each new build's worker (it starts with an empty cache).
  sw.addEventListener("controllerchange", warm);
  sw.register("/sw.js", { scope: "/" }).catch((e: unknown) => {
    console.warn("whiteboard: no offline copy:", e);
  });
}
