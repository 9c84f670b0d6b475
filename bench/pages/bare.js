// Bare Pyodide baseline: time loadPyodide() to a working interpreter, from the
// same vendored Pyodide files the app uses (./vendor/pyodide/ is mapped by the
// bench server onto the dist copy's vendor/pyodide/).
//
// window.benchResult = {navToReady, swReadyAt, loadStart, loadPyodideMs, fromWorker}
// <html data-state="ready"> when done, "error" on failure.
const html = document.documentElement;
const mode = new URLSearchParams(location.search).get("sw") || "precache";

async function ensureWorker() {
  if (mode !== "precache" || !("serviceWorker" in navigator)) return;
  const reg = await navigator.serviceWorker.register("./bare-sw.js", { scope: "./" });
  if (navigator.serviceWorker.controller) return;
  // First visit: wait until the worker has precached the Pyodide files and
  // controls this page (as carelog's boot.js does).
  await new Promise((resolve, reject) => {
    navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true });
    const worker = reg.installing || reg.waiting || reg.active;
    if (worker) worker.addEventListener("statechange", () => {
      if (worker.state === "redundant") reject(new Error("bare-sw.js failed to install"));
    });
  });
}

async function main() {
  html.dataset.state = "booting";
  await ensureWorker();
  const swReadyAt = performance.now();
  const { loadPyodide } = await import("./vendor/pyodide/pyodide.mjs");
  const loadStart = performance.now();
  const pyodide = await loadPyodide();
  const two = pyodide.runPython("1 + 1");
  if (two !== 2) throw new Error("Pyodide gave a wrong answer");
  const navToReady = performance.now();
  window.benchResult = {
    navToReady, swReadyAt, loadStart, loadPyodideMs: navToReady - loadStart,
    fromWorker: Boolean(navigator.serviceWorker && navigator.serviceWorker.controller),
  };
  html.dataset.state = "ready";
}

main().catch((error) => {
  window.benchError = String(error && error.stack || error);
  html.dataset.state = "error";
});
