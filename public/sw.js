// carelog service worker: the whole build, offline, from one cache.
//
// - install: fetch every file of asset-manifest.json (but those it lists as
//   "lazy": nothing in the app loads them) with its sha256 as the fetch
//   integrity, into a cache named after the build; report progress. The few
//   big files are streamed (progress as they arrive); the many small ones go
//   in one cache.addAll batch (one cache write, not one per file).
//   On a first visit (no service worker yet) the page waits for this, so only
//   the files the start needs from here on are fetched before it (the manifest's
//   "start": the runtime, PyScript, the app); the rest ("the tail": the shell the
//   page has already loaded, icons, the snapshot worker, the QR code wheel) follows once
//   the page says it is ready ("app-ready", or after CHECK_WAIT_MS): fetched while
//   Python starts, it competed with the start for the two cores (~120 ms more in
//   PyScript's core alone, bench/bench_start.py). A request that misses the cache
//   meanwhile starts the tail at once and waits for it (nothing is downloaded
//   twice). An update installs everything before it waits, as before (it may be
//   applied offline).
// - integrity: every file is checked against the manifest's sha256 before the
//   offline copy counts as whole (the manifest is kept in the cache only then).
//   An update's files are checked as they are fetched (fetch integrity). A first
//   visit's start files are not, since the page waits for them and a checked fetch
//   passes every byte through this worker (~300 ms of a first start here): they go
//   straight into the cache, the page starts on them (as it would from the
//   network), and they are checked once the page says it is ready ("app-ready",
//   or after CHECK_WAIT_MS); a wrong one is dropped and fetched again, checked.
//   Until then the manifest is kept under PENDING.
// - activate: delete other builds' caches; take control of open pages.
// - fetch: same-origin GET requests are served cache-first from this build's
//   cache only, so one page load never mixes files of two builds. The first
//   fetch event of each worker start checks, once the page is ready, that the
//   cache holds the whole build (the manifest is kept in it, or under PENDING until a first visit's
//   check) and fetches what is missing, e.g. a tail that a closed tab cut
//   short, then finishes a first visit's check if a closed tab cut it short.
// A new build waits until the page asks for it ("skip-waiting"), which the app
// only offers outside of an entry form.
const BUILD_ID = "__BUILD_ID__";
const CACHE = `carelog-${BUILD_ID}`;
const SCOPE = new URL("./", self.location).href;
const STREAM_BYTES = 262144;  // files from this size on are streamed one by one (progress)
const MANIFEST = new URL("./asset-manifest.json", self.location).href;
const PENDING = `${MANIFEST}?unchecked`;  // a first visit's manifest until its start files are checked
let checked = null;  // this worker start's completeness check and tail fetch (a Promise)
let verified = null;  // and then the check of a first visit's unchecked start files (a Promise)
const CHECK_WAIT_MS = 15000;  // the check waits this long at most for the page to be ready
let pageReady;  // resolved by the page's "app-ready" message
const appReady = new Promise((resolve) => { pageReady = resolve; });
let missed;  // resolved by a request that missed the cache: the tail is wanted now
const aMiss = new Promise((resolve) => { missed = resolve; });

/** The page is ready, or CHECK_WAIT_MS have passed (a page that never gets there). */
function readyOrLater() {
  return Promise.race([appReady, new Promise((resolve) => setTimeout(resolve, CHECK_WAIT_MS))]);
}

function hexToBase64(hex) {
  let bin = "";
  for (let i = 0; i < hex.length; i += 2) bin += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
  return btoa(bin);
}

async function broadcast(message) {
  const clients = await self.clients.matchAll({ includeUncontrolled: true, type: "window" });
  for (const client of clients) client.postMessage(message);
}

async function sha256hex(buffer) {
  const digest = await crypto.subtle.digest("SHA-256", buffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

const urlOf = (file) => new URL(file.path, SCOPE).href;

const request = (file, check = true) => new Request(urlOf(file),
  check ? { cache: "no-store", integrity: `sha256-${hexToBase64(file.sha256)}` } : { cache: "no-store" });

/** The manifest's files but the lazy ones: what the offline copy holds. */
function precached(manifest) {
  const lazy = new Set(manifest.lazy || []);
  return manifest.files.filter((f) => !lazy.has(f.path));
}

/** The precached files not in the cache yet. */
async function missing(cache, manifest) {
  const cached = new Set((await cache.keys()).map((r) => r.url));
  return precached(manifest).filter((f) => !cached.has(urlOf(f)));
}

async function precache() {
  const response = await fetch(`./asset-manifest.json?build=${BUILD_ID}`, { cache: "no-store" });
  if (!response.ok) throw new Error(`asset manifest: HTTP ${response.status}`);
  const manifest = await response.clone().json();
  if (manifest.build !== BUILD_ID) throw new Error("the server has a newer build; will retry");
  const cache = await caches.open(CACHE);
  const total = precached(manifest).reduce((sum, f) => sum + f.bytes, 0);
  let todo = await missing(cache, manifest);
  // first visit: the page waits for the install, so leave the tail for after activation,
  // and check the start files after it (checkFirstVisit)
  const firstVisit = !self.registration.active;
  if (firstVisit) todo = todo.filter((f) => manifest.start.includes(f.path));
  let loaded = total - todo.reduce((sum, f) => sum + f.bytes, 0);
  let lastReport = 0;
  function report() {
    const now = Date.now();
    if (now - lastReport > 100) { lastReport = now; broadcast({ type: "precache-progress", loaded, total }); }
  }
  async function fetched(file) {
    const res = await fetch(request(file, !firstVisit));
    if (!res.ok) throw new Error(`${file.path}: HTTP ${res.status}`);
    return res;
  }
  // big files one fetch each, read as they arrive for the progress bar
  async function streamed(file) {
    const res = await fetched(file);
    const reader = res.clone().body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      loaded += value.byteLength;
      report();
    }
    await cache.put(urlOf(file), res);
  }
  // the many small ones in one batch: one cache write instead of one per file; on a
  // first visit one put each (a batch is slower, and these are not checked here)
  async function batch(small) {
    if (!small.length) return;
    if (firstVisit) {
      await Promise.all(small.map(async (file) => cache.put(urlOf(file), await fetched(file))));
    } else {
      await cache.addAll(small.map((f) => request(f)));
    }
    loaded += small.reduce((sum, f) => sum + f.bytes, 0);
    report();
  }
  const big = todo.filter((f) => f.bytes >= STREAM_BYTES).sort((a, b) => b.bytes - a.bytes);
  // in this order: the biggest first (the longest download), then the small ones, which
  // would otherwise queue behind the other big ones for a connection (HTTP/1.1: six a host)
  const jobs = big.slice(0, 1).map(streamed);
  jobs.push(batch(todo.filter((f) => f.bytes < STREAM_BYTES)));
  await Promise.all([...jobs, ...big.slice(1).map(streamed)]);
  // last: the check of later worker starts reads it
  await cache.put(firstVisit ? PENDING : MANIFEST, response);
  broadcast({ type: "precache-progress", loaded: total, total });
}

/** A first visit's start files went into the cache unchecked: check each against the
 * manifest's sum, drop a wrong one and fetch it again (checked), then keep the manifest,
 * which makes the offline copy whole. */
async function checkFirstVisit(cache, pending) {
  const manifest = await pending.clone().json();
  const wrong = [];
  for (const file of precached(manifest).filter((f) => manifest.start.includes(f.path))) {
    const url = urlOf(file);
    const hit = await cache.match(url);
    if (hit && (await sha256hex(await hit.arrayBuffer())) !== file.sha256) {
      console.warn(`carelog: ${file.path} came with other bytes than this build's; fetching it again`);
      wrong.push(file);
      await cache.delete(url);
    }
  }
  if (wrong.length) await cache.addAll(wrong.map((f) => request(f)));
  await cache.put(MANIFEST, pending);
  await cache.delete(PENDING);
}

/** The files the install left for later (or a tail a closed tab cut short), in one
 * batch: checked once per worker start, when the page is ready (its start goes first)
 * or a request misses the cache (which waits for it).
 * Then, after a first visit, the check of its start files (not waited for by requests). */
function completeCache() {
  if (!checked) {
    const warn = (error) => {
      console.warn("carelog: offline copy incomplete, completed on a later visit:", error && error.message);
    };
    let pending = null;
    checked = (async () => {
      await Promise.race([readyOrLater(), aMiss]);
      const cache = await caches.open(CACHE);
      const kept = (await cache.match(MANIFEST)) || (pending = await cache.match(PENDING));
      if (!kept) return;
      const todo = await missing(cache, await kept.clone().json());
      if (todo.length) await cache.addAll(todo.map((f) => request(f)));
    })().catch(warn);
    verified = checked.then(async () => {
      if (!pending) return;
      // not while the page starts Python (both would compete for the CPU): once it is ready
      await readyOrLater();
      await checkFirstVisit(await caches.open(CACHE), pending);
    }).catch(warn);
  }
  return verified;
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
  completeCache();  // the tail, once the page is ready (not awaited: that would hold its fetches)
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "skip-waiting") self.skipWaiting();
  if (event.data && event.data.type === "app-ready") pageReady();
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || !request.url.startsWith(SCOPE)) return;
  event.waitUntil(completeCache());  // the worker lives on until the copy is whole
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const url = new URL(request.url);
    url.search = "";
    url.hash = "";
    const key = request.mode === "navigate" && url.href.endsWith("/") ? `${url.href}index.html` : url.href;
    let hit = await cache.match(key);
    if (!hit && checked) {  // maybe a tail file: fetch the tail now and wait for it, never fetch twice
      missed();
      await checked;
      hit = await cache.match(key);
    }
    if (hit) return hit;
    return fetch(request);
  })());
});
