// carelog start-up snapshot, made off the page's path (a dedicated module worker).
//
// public/js/fast-start.mjs starts this worker once the app is ready and the page
// is idle, after a start that found no usable snapshot. The worker boots its own
// Pyodide with `_makeSnapshot` from the same files (the service worker's cache, so
// nothing is downloaded again), installs the stdlib fallback, unpacks the app
// wheel into the folder PyScript uses, imports the app's modules, takes the
// memory snapshot and stores it in Cache Storage under the build id with the
// sha256 of its bytes. Then it reports back and the page ends it.
//
// A snapshot made here restores on the page because the app's modules touch no
// JS object when imported (they import `js` lazily: tests/unit/test_layers.py),
// so the snapshot refers to nothing that exists only in this worker.
//
// Message in:  {indexURL, stdLibURL, wheel, fallback, preload, preloadLater, freshImports, cache, key}
// Message out: {ok: true, bytes} or {ok: false, error}
import { loadPyodide } from "../vendor/pyodide/pyodide.mjs";

async function sha256hex(bytes) {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function makeSnapshot(job) {
  const quiet = () => {};
  const pyodide = await loadPyodide({
    indexURL: job.indexURL, stdLibURL: job.stdLibURL, _makeSnapshot: true, stdout: quiet, stderr: quiet,
  });
  pyodide.runPython(job.fallback);
  const response = await fetch(job.wheel);
  if (!response.ok) throw new Error(`app wheel: HTTP ${response.status}`);
  // the same folder as PyScript's "./*": the package's __path__ must be where
  // PyScript puts the files again on a restored start (the FS is not in the snapshot)
  pyodide.unpackArchive(await response.arrayBuffer(), "wheel", { extractDir: "./" });
  // the fallback's import above listed this folder; with a clock that stands still
  // (tests) its mtime does not change, so forget that listing before importing the app
  pyodide.runPython(job.freshImports);
  pyodide.runPython(job.preload.map((name) => `import ${name}`).join("\n"));
  if (job.preloadLater) pyodide.runPython(job.preloadLater);
  pyodide.runPython(job.freshImports);
  return pyodide.makeMemorySnapshot();
}

async function save(job, bytes) {
  const digest = await sha256hex(bytes);
  const cache = await caches.open(job.cache);
  await cache.put(job.key, new Response(bytes, {
    headers: { "content-type": "application/octet-stream", "x-sha256": digest },
  }));
}

self.addEventListener("message", async (event) => {
  const job = event.data || {};
  try {
    const bytes = await makeSnapshot(job);
    await save(job, bytes);
    self.postMessage({ ok: true, bytes: bytes.byteLength });
  } catch (error) {  // e.g. QuotaExceededError: the next start is a normal one
    await caches.delete(job.cache).catch(() => {});
    self.postMessage({ ok: false, error: String((error && error.message) || error) });
  }
});
