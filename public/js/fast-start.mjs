// carelog fast start: PyScript's "interpreter" (pyscript.json) points here.
//
// This module re-exports the vendored Pyodide's `version` and a `loadPyodide`
// that wraps the real one with a memory snapshot kept on the device:
//
// - a later start restores the snapshot (Python already started, the carelog
//   modules already imported) instead of starting the interpreter from scratch;
// - a start without a usable snapshot boots normally; once the app is ready and
//   the page idle, a dedicated worker (snapshot-worker.mjs) boots its own Pyodide
//   from the service worker's cache (a first visit: once it has copied the build),
//   imports the app's modules, takes the snapshot and saves it, so making it never
//   slows the start that needs it;
// - the snapshot lives in Cache Storage under the build id
//   ("carelog-snapshot-<build>", with the sha256 of its bytes); a new build
//   never reads another build's snapshot and deletes old ones (the service
//   worker's activate step also deletes every other build's "carelog-" cache);
// - anything wrong with it (missing, corrupt, other Pyodide build, no space,
//   a restore that throws or does not pass a check) means a normal boot; the
//   only visible difference is speed. <html data-start-path> says which path
//   ran ("snapshot" or "normal") and why a snapshot was not used.
//
// Pyodide's snapshot API is experimental (`_makeSnapshot`, `makeMemorySnapshot`,
// `_loadSnapshot`): no JS object may be referenced from Python when it is taken
// (it is taken in a worker where only the app's imports ran, and they do not
// touch `js`), hash randomisation is off, and the random module is re-seeded
// after a restore. The file system is
// not part of the snapshot: PyScript unpacks the app wheel again on each start.
import { loadPyodide as loadRealPyodide, version } from "../vendor/pyodide/pyodide.mjs";

export { version };

const html = document.documentElement;
const BUILD = html.dataset.build || "dev";
const PREFIX = "carelog-snapshot-";
const CACHE = `${PREFIX}${BUILD}`;
const KEY = new URL(`./carelog-runtime-${BUILD}.snapshot`, import.meta.url).href;
const INDEX_URL = new URL("../vendor/pyodide/", import.meta.url).href;
// The trimmed standard library (build.py: only browser-stdlib.txt's modules); an import
// of any other stdlib module fetches the full zip (py/stdlib_fallback.py), online only.
const STDLIB_URL = new URL("../vendor/pyodide/python_stdlib-app.zip", import.meta.url).href;
const FULL_STDLIB_URL = new URL("../vendor/pyodide/python_stdlib.zip", import.meta.url).href;
const FALLBACK = `import carelog_stdlib_fallback; carelog_stdlib_fallback.install(${JSON.stringify(FULL_STDLIB_URL)})`;
// The app's modules, imported before the snapshot so that a restore skips that too.
// They import `js` lazily (tests/unit/test_layers.py), so no JS object is held.
const PRELOAD = ["carelog.bootstrap", "carelog.ports", "carelog.ui.controller", "carelog.ui.dom",
  "carelog.ui.sync_dom"];
// ... and the modules a normal start imports only after ready (py/carelog/ui/later.py)
const PRELOAD_LATER = "import carelog.ui.later; carelog.ui.later.load_all()";
const IDLE_WAIT_MS = 2000;  // the snapshot worker starts when the page is idle, or after this
const COPY_WAIT_MS = 30000;  // ... and once the service worker has the build (a first visit), or after this
const AFTER_RESTORE = "import random; random.seed()";
const CHECK = "import carelog.bootstrap, sys; assert 'carelog.ui.dom' in sys.modules; 6 * 7";
// PyScript's set-up writes its own package into the folder the app was unpacked
// into, then imports it (after `import os`, `from pathlib import Path`). Python
// caches folder listings by mtime; a listing cached before those files exist
// can look current (same millisecond, or a test's frozen clock) and hide them.
// So: import what the set-up imports first, and forget every cached listing.
const FRESH_IMPORTS = "import os, pathlib, importlib, sys; sys.path_importer_cache.clear(); importlib.invalidate_caches()";

function mark(path, why) {
  html.dataset.startPath = path;
  if (why) html.dataset.startNote = why;
}

async function sha256hex(bytes) {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The app wheel that pyscript.json has PyScript unpack into the working folder. */
async function wheelUrl() {
  const configUrl = new URL("../pyscript.json", import.meta.url);
  const config = await (await fetch(configUrl)).json();
  const wheel = Object.keys(config.files || {}).find((path) => /\/app\/carelog-[^/]*\.whl$/.test(path));
  return wheel ? new URL(wheel, configUrl).href : null;
}

/** The stored snapshot's bytes, checked against their sha256, or null (and why). */
async function readSnapshot() {
  if (!("caches" in self)) return [null, "no Cache Storage"];
  const cache = await caches.open(CACHE);
  const hit = await cache.match(KEY);
  if (!hit) return [null, "none stored"];
  const expected = hit.headers.get("x-sha256");
  const bytes = new Uint8Array(await hit.arrayBuffer());
  if (!expected || (await sha256hex(bytes)) !== expected) {
    await caches.delete(CACHE);
    return [null, "corrupt: dropped"];
  }
  return [bytes, ""];
}

async function dropOtherSnapshots() {
  if (!("caches" in self)) return;
  const names = await caches.keys();
  await Promise.all(names.filter((n) => n.startsWith(PREFIX) && n !== CACHE).map((n) => caches.delete(n)));
}

/** Resolves once the service worker controls the page: at once on a later visit; on a
 * first visit once it has copied the build (public/sw.js), so that the snapshot worker
 * reads the runtime from that copy; or after COPY_WAIT_MS, or at once without one. */
function offlineCopy() {
  const sw = navigator.serviceWorker;
  if (!sw || sw.controller || !self.isSecureContext) return Promise.resolve();
  return new Promise((resolve) => {
    sw.addEventListener("controllerchange", resolve, { once: true });
    setTimeout(resolve, COPY_WAIT_MS);
  });
}

function whenReady(callback) {
  if (html.dataset.appState === "ready") { callback(); return; }
  const observer = new MutationObserver(() => {
    if (html.dataset.appState === "ready") { observer.disconnect(); callback(); }
    else if (html.dataset.appState === "error") observer.disconnect();
  });
  observer.observe(html, { attributes: true, attributeFilter: ["data-app-state"] });
}

async function restore(options, bytes) {
  const pyodide = await loadRealPyodide({ ...options, _loadSnapshot: bytes });
  pyodide.runPython(FALLBACK);
  pyodide.runPython(AFTER_RESTORE);
  if (pyodide.runPython(CHECK) !== 42) throw new Error("restored runtime failed its check");
  pyodide.runPython(FRESH_IMPORTS);
  return pyodide;
}

/** A normal boot: no snapshot is made on this path (a worker makes it later). */
async function bootNormally(options) {
  const pyodide = await loadRealPyodide(options);
  pyodide.runPython(FALLBACK);
  pyodide.runPython(FRESH_IMPORTS);
  return pyodide;
}

/** Once the app is ready and the page idle: make the snapshot in a dedicated
 * worker (public/js/snapshot-worker.mjs), off this start's path. It boots its own
 * Pyodide from the service worker's cache (on a first visit, once the copy is made),
 * imports the app, stores the snapshot under the build id; the next start restores
 * it. Failure only means no snapshot. */
function snapshotInWorker(options) {
  if (!("caches" in self) || typeof Worker !== "function") return;
  const idle = (callback) => ("requestIdleCallback" in self
    ? requestIdleCallback(callback, { timeout: IDLE_WAIT_MS }) : setTimeout(callback, 0));
  whenReady(() => idle(async () => {
    let worker = null;
    try {
      await offlineCopy();
      const wheel = await wheelUrl();
      if (!wheel) throw new Error("pyscript.json names no app wheel");
      await dropOtherSnapshots();
      worker = new Worker(new URL("./snapshot-worker.mjs", import.meta.url), { type: "module" });
      const result = await new Promise((resolve, reject) => {
        worker.addEventListener("message", (event) => resolve(event.data || {}));
        worker.addEventListener("error", (event) => reject(new Error(event.message || "worker failed")));
        worker.postMessage({
          indexURL: options.indexURL, stdLibURL: options.stdLibURL, wheel, fallback: FALLBACK,
          preload: PRELOAD, preloadLater: PRELOAD_LATER, freshImports: FRESH_IMPORTS, cache: CACHE, key: KEY,
        });
      });
      if (!result.ok) throw new Error(result.error);
      html.dataset.snapshotSaved = "yes";
    } catch (error) {
      console.warn("carelog: start-up snapshot not saved:", error && error.message);
      html.dataset.snapshotSaved = "no";
    } finally {
      if (worker) worker.terminate();
    }
  }));
}

export async function loadPyodide(options = {}) {
  options = { ...options, indexURL: INDEX_URL, stdLibURL: STDLIB_URL };
  let why = "";
  try {
    const [bytes, note] = await readSnapshot();
    why = note;
    if (bytes) {
      try {
        const pyodide = await restore(options, bytes);
        mark("snapshot", "");
        dropOtherSnapshots().catch(() => {});
        return pyodide;
      } catch (error) {
        why = `restore failed: ${error && error.message}`;
        console.warn("carelog: start-up snapshot unusable, starting normally:", error && error.message);
        await caches.delete(CACHE).catch(() => {});
      }
    }
  } catch (error) {
    why = `unreadable: ${error && error.message}`;
  }
  const pyodide = await bootNormally(options);
  mark("normal", why);
  snapshotInWorker(options);
  return pyodide;
}
