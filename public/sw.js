// carelog service worker: the whole build, offline, from one cache.
//
// - install: fetch every file of asset-manifest.json (but those it lists as
//   "lazy": nothing in the app loads them) with its sha256 as the fetch
//   integrity, into a cache named after the build, in one batch (cache.addAll:
//   all or nothing); the manifest goes in last, so a cache that holds it is whole.
//   On a first visit (no active worker yet) the page does not wait for this: it
//   starts Python from the network at once, as a plain page would (copying the
//   build first held a first start back by ~500 ms, bench/bench_start.py), and the
//   install waits until the page says it is ready ("app-ready", or CHECK_WAIT_MS),
//   so that it never competes with the start for the two cores. Its fetches say
//   `cache: "no-cache"`: the server answers 304 for each file the page has just
//   loaded and the browser's HTTP cache supplies the bytes, so nothing is
//   downloaded twice; the integrity check still covers every byte kept. An update
//   installs at once, while the old build keeps serving (it may be applied offline).
// - activate: delete other builds' caches; take control of open pages (a first
//   visit's page then reads from the cache too).
// - fetch: same-origin GET requests are served cache-first from this build's
//   cache only, so one page load never mixes files of two builds; what the cache
//   does not hold (a lazy file) comes from the network.
// A new build waits until the page asks for it ("skip-waiting"), which the app
// only offers outside of an entry form.
const BUILD_ID = "__BUILD_ID__";
const CACHE = `carelog-${BUILD_ID}`;
const SCOPE = new URL("./", self.location).href;
const MANIFEST = new URL("./asset-manifest.json", self.location).href;
const CHECK_WAIT_MS = 15000;  // a first visit's install waits this long at most for the page to be ready
let pageReady;  // resolved by the page's "app-ready" message
const appReady = new Promise((resolve) => { pageReady = resolve; });

/** The page is ready, or CHECK_WAIT_MS have passed (a page that never gets there). */
function readyOrLater() {
  return Promise.race([appReady, new Promise((resolve) => setTimeout(resolve, CHECK_WAIT_MS))]);
}

function hexToBase64(hex) {
  let bin = "";
  for (let i = 0; i < hex.length; i += 2) bin += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
  return btoa(bin);
}

/** One file of the build, checked against its sha256; by default revalidated (a 304
 * means the server still has the bytes the HTTP cache holds), or "reload": downloaded. */
const request = (file, cache = "no-cache") => new Request(new URL(file.path, SCOPE).href,
  { cache, integrity: `sha256-${hexToBase64(file.sha256)}` });

/** The manifest's files but the lazy ones: what the offline copy holds. */
function precached(manifest) {
  const lazy = new Set(manifest.lazy || []);
  return manifest.files.filter((f) => !lazy.has(f.path));
}

async function precache() {
  if (!self.registration.active) await readyOrLater();  // a first visit: after the page's start
  const response = await fetch(`./asset-manifest.json?build=${BUILD_ID}`, { cache: "no-store" });
  if (!response.ok) throw new Error(`asset manifest: HTTP ${response.status}`);
  const manifest = await response.clone().json();
  if (manifest.build !== BUILD_ID) throw new Error("the server has a newer build; will retry");
  const cache = await caches.open(CACHE);
  const files = precached(manifest);
  try {
    await cache.addAll(files.map((f) => request(f)));
  } catch (error) {  // e.g. the HTTP cache held other bytes than this build's: download all afresh
    console.warn("carelog: copying the build again, from the server:", error && error.message);
    await cache.addAll(files.map((f) => request(f, "reload")));
  }
  await cache.put(MANIFEST, response);  // last: the copy is whole
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
  if (event.data && event.data.type === "app-ready") pageReady();
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
