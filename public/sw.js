// carelog service worker: the whole build, offline, from one cache.
//
// - install: fetch every file of asset-manifest.json (but those it lists as
//   "lazy": nothing in the app loads them) with its sha256 as the fetch
//   integrity, into a cache named after the build; report progress. The few
//   big files are streamed (progress as they arrive); the many small ones go
//   in one cache.addAll batch (one cache write, not one per file).
//   On a first visit (no service worker yet) the page waits for this worker to
//   control it, so the install only fetches and checks the manifest (kept in
//   the cache at once), starts the downloads ("filling") and lets the worker
//   take control: the page starts PyScript while the files arrive. The files
//   the start needs (BOOT: the runtime, PyScript, the app) come first; the rest
//   ("the tail": the shell the page has already loaded, icons, the snapshot
//   worker, the QR code wheel) in one batch after them. A request for a file
//   being downloaded waits for that file (or its batch) to be cached and is
//   then answered from the cache (a file the start needs: with a copy of the
//   checked download, while it is written to the cache): the page reads one
//   build, and nothing is downloaded twice. An update installs everything before it waits, as
//   before (it may be applied offline).
// - activate: delete other builds' caches; take control of open pages.
// - fetch: same-origin GET requests are served cache-first from this build's
//   cache only, so one page load never mixes files of two builds. The first
//   fetch event of each worker start checks that the cache holds the whole
//   build (the manifest is kept in it) and fetches what is missing, e.g. a tail
//   that a closed tab cut short.
// A new build waits until the page asks for it ("skip-waiting"), which the app
// only offers outside of an entry form.
const BUILD_ID = "__BUILD_ID__";
const CACHE = `carelog-${BUILD_ID}`;
const SCOPE = new URL("./", self.location).href;
const STREAM_BYTES = 262144;  // files from this size on are streamed one by one (progress)
const MANIFEST = new URL("./asset-manifest.json", self.location).href;
// what a first start needs from the cache once the worker controls the page
const BOOT = /^(vendor\/(?!pyodide\/segno-)|app\/|main\.py$|pyscript\.json$|js\/fast-start\.mjs$)/;
let checked = null;  // this worker start's completeness check and tail fetch (a Promise)
// first visit, while the install's downloads run: {done, waits: Map url -> Promise cached,
// spares: Map url -> Promise of a copy of a BOOT file's checked download (or null)}
let filling = null;

function hexToBase64(hex) {
  let bin = "";
  for (let i = 0; i < hex.length; i += 2) bin += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
  return btoa(bin);
}

async function broadcast(message) {
  const clients = await self.clients.matchAll({ includeUncontrolled: true, type: "window" });
  for (const client of clients) client.postMessage(message);
}

const request = (file) => new Request(new URL(file.path, SCOPE).href,
  { cache: "no-store", integrity: `sha256-${hexToBase64(file.sha256)}` });

/** The manifest's files but the lazy ones: what the offline copy holds. */
function precached(manifest) {
  const lazy = new Set(manifest.lazy || []);
  return manifest.files.filter((f) => !lazy.has(f.path));
}

/** The precached files not in the cache yet. */
async function missing(cache, manifest) {
  const cached = new Set((await cache.keys()).map((r) => r.url));
  return precached(manifest).filter((f) => !cached.has(new URL(f.path, SCOPE).href));
}

/** Fetch and check the manifest; then download the build (`fill`). On a first visit
 * (`first`) the manifest is cached at once (a later worker start completes from it)
 * and the downloads are returned unawaited: {done, waits}; else they are awaited. */
async function precache(first = false) {
  const response = await fetch(`./asset-manifest.json?build=${BUILD_ID}`, { cache: "no-store" });
  if (!response.ok) throw new Error(`asset manifest: HTTP ${response.status}`);
  const manifest = await response.clone().json();
  if (manifest.build !== BUILD_ID) throw new Error("the server has a newer build; will retry");
  const cache = await caches.open(CACHE);
  if (!first) {
    await fill(cache, manifest, await missing(cache, manifest)).done;
    await cache.put(MANIFEST, response);  // last: the check of later worker starts reads it
    return null;
  }
  await cache.put(MANIFEST, response);
  // what the start needs first, then the rest (the tail) in one batch
  const todo = await missing(cache, manifest);
  const boot = fill(cache, manifest, todo.filter((f) => BOOT.test(f.path)), true);
  const tail = todo.filter((f) => !BOOT.test(f.path));
  const tailDone = boot.done.catch(() => {}).then(() => cache.addAll(tail.map(request)));
  const waits = new Map(boot.waits);
  for (const f of tail) waits.set(new URL(f.path, SCOPE).href, tailDone);
  const done = Promise.all([boot.done, tailDone]).then(
    () => broadcast({ type: "precache-progress", loaded: boot.total, total: boot.total }));
  done.finally(() => boot.spares.clear()).catch(() => {});
  return { done, waits, spares: boot.spares };
}

/** Download `todo` into `cache`: {done, waits (url -> Promise of that file cached),
 * spares (url -> Promise of a copy of a file's checked response, or null), total}.
 * `each`: every file its own fetch (a page is waiting for them), else the small
 * ones in one batch. */
function fill(cache, manifest, todo, each = false) {
  const total = precached(manifest).reduce((sum, f) => sum + f.bytes, 0);
  let loaded = total - todo.reduce((sum, f) => sum + f.bytes, 0);
  let lastReport = 0;
  function report() {
    const now = Date.now();
    if (now - lastReport > 100) { lastReport = now; broadcast({ type: "precache-progress", loaded, total }); }
  }
  // big files one fetch each, read as they arrive for the progress bar
  const spares = new Map();
  async function streamed(file) {
    const url = new URL(file.path, SCOPE).href;
    let spare = () => {};
    spares.set(url, new Promise((resolve) => { spare = resolve; }));
    let res;
    try {
      res = await fetch(request(file));  // with integrity: resolved once every byte is checked
      if (!res.ok) throw new Error(`${file.path}: HTTP ${res.status}`);
    } catch (error) {
      spare(null);
      throw error;
    }
    spare(res.clone());  // a page request waiting for this file need not wait for the cache write
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
  const bySize = [...todo].sort((a, b) => b.bytes - a.bytes);
  let big = bySize.filter((f) => f.bytes >= STREAM_BYTES);
  let small = bySize.filter((f) => f.bytes < STREAM_BYTES);
  if (each) {  // the biggest, the small ones, the other big ones: one fetch each
    big = [...big.slice(0, 1), ...small, ...big.slice(1)];
    small = [];
  }
  // in this order: the biggest first (the longest download), then the small ones, which
  // would otherwise queue behind the other big ones for a connection (HTTP/1.1: six a host)
  const waits = new Map();
  const first = big.slice(0, 1).map(streamed);
  const smallDone = batch(small);
  const rest = big.slice(1).map(streamed);
  big.forEach((f, i) => waits.set(new URL(f.path, SCOPE).href, [...first, ...rest][i]));
  for (const f of small) waits.set(new URL(f.path, SCOPE).href, smallDone);
  const done = Promise.all([...first, smallDone, ...rest]).then(() => {
    broadcast({ type: "precache-progress", loaded: total, total });
  });
  return { done, waits, spares, total };
}

/** First visit: the install's downloads still running, with `waits`; null when none. */
function whenFilled() {
  return filling ? filling.done.catch(() => {}) : Promise.resolve();
}

/** The files the install left for later (or a tail a closed tab cut short), in one
 * batch: checked once per worker start; a request that misses the cache waits for it. */
function completeCache() {
  if (!checked) {
    checked = (async () => {
      await whenFilled();  // never fetch what the install is fetching
      const cache = await caches.open(CACHE);
      const kept = await cache.match(MANIFEST);
      if (!kept) return;
      const todo = await missing(cache, await kept.json());
      if (todo.length) await cache.addAll(todo.map(request));
    })().catch((error) => {
      console.warn("carelog: offline copy incomplete, completed on a later visit:", error && error.message);
    });
  }
  return checked;
}

self.addEventListener("install", (event) => {
  // first visit: the page waits for this worker; take control once the manifest is
  // checked and download while the page starts (`filling`). An update: everything first.
  const first = !self.registration.active;
  event.waitUntil(precache(first).then((started) => {
    if (!started) return;
    filling = started;
    started.done.catch(async (error) => {
      console.warn("carelog: offline copy incomplete, completed on a later start:", error && error.message);
    });
  }).catch(async (error) => {
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
  completeCache();  // the tail, while the page starts Python (not awaited: that would hold its fetches)
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "skip-waiting") self.skipWaiting();
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || !request.url.startsWith(SCOPE)) return;
  event.waitUntil(completeCache());
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const url = new URL(request.url);
    url.search = "";
    url.hash = "";
    const key = request.mode === "navigate" && url.href.endsWith("/") ? `${url.href}index.html` : url.href;
    let hit = await cache.match(key);
    const spare = !hit && filling && filling.spares.get(key);
    if (spare) {  // a BOOT file: the first request takes the checked download's copy
      filling.spares.delete(key);
      const copy = await spare;
      if (copy) return copy;
    }
    const wait = !hit && filling && filling.waits.get(key);
    if (wait) {  // being downloaded by the install: answer from the cache once it is in
      await wait.catch(() => {});
      hit = await cache.match(key);
    }
    if (!hit && checked) {  // maybe a tail file being fetched: wait for it, never fetch twice
      await checked;
      hit = await cache.match(key);
    }
    if (hit) return hit;
    return fetch(request);
  })());
});
