// carelog service worker: the whole build, offline, from one cache.
//
// - install: fetch every file of asset-manifest.json (but those it lists as
//   "lazy": nothing in the app loads them) with its sha256 as the fetch
//   integrity, into a cache named after the build; report progress. The few
//   big files are streamed (progress as they arrive); the many small ones go
//   in one cache.addAll batch (one cache write, not one per file).
// - activate: delete other builds' caches; take control of open pages.
// - fetch: same-origin GET requests are served cache-first from this build's
//   cache only, so one page load never mixes files of two builds.
// A new build waits until the page asks for it ("skip-waiting"), which the app
// only offers outside of an entry form.
const BUILD_ID = "__BUILD_ID__";
const CACHE = `carelog-${BUILD_ID}`;
const SCOPE = new URL("./", self.location).href;
const STREAM_BYTES = 262144;  // files from this size on are streamed one by one (progress)

function hexToBase64(hex) {
  let bin = "";
  for (let i = 0; i < hex.length; i += 2) bin += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
  return btoa(bin);
}

async function broadcast(message) {
  const clients = await self.clients.matchAll({ includeUncontrolled: true, type: "window" });
  for (const client of clients) client.postMessage(message);
}

async function precache() {
  const response = await fetch(`./asset-manifest.json?build=${BUILD_ID}`, { cache: "no-store" });
  if (!response.ok) throw new Error(`asset manifest: HTTP ${response.status}`);
  const manifest = await response.json();
  if (manifest.build !== BUILD_ID) throw new Error("the server has a newer build; will retry");
  const cache = await caches.open(CACHE);
  const lazy = new Set(manifest.lazy || []);
  const files = manifest.files.filter((f) => !lazy.has(f.path));
  const total = files.reduce((sum, f) => sum + f.bytes, 0);
  const cached = new Set((await cache.keys()).map((request) => request.url));
  const todo = files.filter((f) => !cached.has(new URL(f.path, SCOPE).href));
  let loaded = total - todo.reduce((sum, f) => sum + f.bytes, 0);
  let lastReport = 0;
  function report() {
    const now = Date.now();
    if (now - lastReport > 100) { lastReport = now; broadcast({ type: "precache-progress", loaded, total }); }
  }
  const request = (file) => new Request(new URL(file.path, SCOPE).href,
    { cache: "no-store", integrity: `sha256-${hexToBase64(file.sha256)}` });
  // big files one fetch each, read as they arrive for the progress bar
  async function streamed(file) {
    const url = new URL(file.path, SCOPE).href;
    const res = await fetch(request(file));
    if (!res.ok) throw new Error(`${file.path}: HTTP ${res.status}`);
    const reader = res.clone().body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      loaded += value.byteLength;
      report();
    }
    await cache.put(url, res);
  }
  // the many small ones in one batch: one cache write instead of one per file
  async function batch(small) {
    if (!small.length) return;
    await cache.addAll(small.map(request));
    loaded += small.reduce((sum, f) => sum + f.bytes, 0);
    report();
  }
  const big = todo.filter((f) => f.bytes >= STREAM_BYTES).sort((a, b) => b.bytes - a.bytes);
  await Promise.all([...big.map(streamed), batch(todo.filter((f) => f.bytes < STREAM_BYTES))]);
  broadcast({ type: "precache-progress", loaded: total, total });
}

self.addEventListener("install", (event) => {
  event.waitUntil(precache().catch(async (error) => {
    await caches.delete(CACHE);
    throw error;
  }));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith("carelog-") && n !== CACHE).map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "skip-waiting") self.skipWaiting();
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || !request.url.startsWith(SCOPE)) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const url = new URL(request.url);
    url.search = "";
    url.hash = "";
    const key = request.mode === "navigate" && url.href.endsWith("/") ? `${url.href}index.html` : url.href;
    const hit = await cache.match(key);
    if (hit) return hit;
    return fetch(request);
  })());
});
