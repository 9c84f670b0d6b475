// carelog boot: paints progress while the runtime downloads, registers the
// service worker (which copies the whole build for offline use once the app is
// ready) without waiting for it, and starts PyScript. Exposes `window.carelogBoot` for main.py:
//   carelogBoot.ready()            the app is interactive (resolves once it could paint)
//   carelogBoot.fail(kind, detail) the app cannot start: show why
//   carelogBoot.applyUpdate()      switch to a waiting new build and reload
//   carelogBoot.updateReady        a new build is installed and waiting
import "./idb.js";
import "./sync.js";
import "./vault.js";

const html = document.documentElement;
const $ = (id) => document.getElementById(id);
const START_TIMEOUT_MS = 120000;

const MESSAGES = {
  "old-browser": "This browser is too old to run carelog. Update it, or use a recent Chrome, Edge, Firefox or Safari.",
  storage: "carelog cannot store data in this browser, so it will not pretend to save anything. " +
    "Private or incognito windows and some privacy settings block storage: open carelog in a normal window.",
  "newer-data": "This device holds carelog data saved by a newer version of carelog. Nothing was changed. " +
    "Reload the page to get the newest version; if that does not help, ask whoever set up carelog.",
  network: "carelog could not be downloaded. Connect to the internet once, then reload this page.",
  timeout: "carelog is taking too long to start. Reload the page; if it keeps happening, restart the browser.",
  crash: "carelog could not start because of an error. Reload the page. Your saved entries are safe on this device.",
};

let settled = false;
let registration = null;
let registered = Promise.resolve(null);  // the service worker's registration, or null
let stopCounting = () => {};  // ends a first visit's count of downloaded bytes (countDownloads)

function setState(value) { html.dataset.appState = value; }

function showPhase(text) {
  const phase = $("boot-phase");
  if (phase) phase.textContent = text;
}

function showBytes(loaded, total) {
  const bar = $("boot-progress");
  if (!bar) return;
  if (total > 0) {
    bar.max = total;
    bar.value = Math.min(loaded, total);
    const mb = (n) => (n / 1e6).toFixed(1);
    bar.setAttribute("aria-valuetext", `${mb(loaded)} of ${mb(total)} MB`);
    $("boot-bytes").textContent = `${mb(loaded)} of ${mb(total)} MB`;
  } else {
    bar.removeAttribute("value");
  }
}

function fail(kind, detail) {
  if (settled) return;
  settled = true;
  stopCounting();
  setState("error");
  $("boot").hidden = true;
  const box = $("boot-error");
  box.hidden = false;
  $("boot-error-text").textContent = MESSAGES[kind] || MESSAGES.crash;
  $("boot-error-detail").textContent = detail ? String(detail) : "";
  box.querySelector("h1").focus();
}

// Resolves once the page has had a chance to paint: after the next frame and a task
// (so work that follows does not hold back the first paint), or after 100 ms in a
// hidden tab, where frames do not run.
function afterPaint() {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 100);
    requestAnimationFrame(() => setTimeout(() => { clearTimeout(timer); resolve(); }, 0));
  });
}

function ready() {
  if (settled) return afterPaint();
  settled = true;
  stopCounting();
  $("boot").hidden = true;
  $("app").hidden = false;
  setState("ready");
  // a first visit's service worker copies the build now that the start no longer needs the CPU
  registered.then((reg) => {
    const worker = reg && (reg.installing || reg.waiting);
    if (worker) worker.postMessage({ type: "app-ready" });
  });
  return afterPaint();
}

function applyUpdate() {
  const waiting = registration && registration.waiting;
  if (!waiting) { location.reload(); return; }
  navigator.serviceWorker.addEventListener("controllerchange", () => location.reload(), { once: true });
  waiting.postMessage({ type: "skip-waiting" });
}

function announceUpdate() {
  window.carelogBoot.updateReady = true;
  window.dispatchEvent(new CustomEvent("carelog:update-ready"));
}

function watchForUpdates(reg) {
  if (reg.waiting && navigator.serviceWorker.controller) announceUpdate();
  reg.addEventListener("updatefound", () => {
    const worker = reg.installing;
    if (!worker) return;
    worker.addEventListener("statechange", () => {
      if (worker.state === "installed" && navigator.serviceWorker.controller) announceUpdate();
    });
  });
}

// Registers the service worker, which keeps the whole build for offline use and
// finds updates. Nothing waits for it: a first visit starts from the network, and
// the worker copies the build once the page is ready (public/sw.js).
function installOffline() {
  if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
  registered = navigator.serviceWorker.register("./sw.js", { scope: "./" }).then((reg) => {
    registration = reg;
    watchForUpdates(reg);
    return reg;
  }, (error) => {
    console.warn("carelog: offline mode unavailable:", error && error.message);
    return null;
  });
}

// A start from the network (a first visit): the bar counts the start files' bytes as
// they arrive, up to index.html's data-start-bytes (build.py). fetch() responses are
// counted as they stream (the runtime's big files), scripts once each has loaded.
// Both stop when the start settles (stopCounting).
function countDownloads() {
  const total = Number(html.dataset.startBytes) || 0;
  if (!total) return;
  let loaded = 0;
  const add = (bytes) => { if (!settled) { loaded += bytes; showBytes(loaded, total); } };
  const plainFetch = window.fetch;
  const countingFetch = async (...args) => {
    const response = await plainFetch(...args);
    if (!settled && response.ok && response.body) {
      const reader = response.clone().body.getReader();
      (async () => {
        for (let part = await reader.read(); !part.done; part = await reader.read()) add(part.value.byteLength);
      })().catch(() => {});
    }
    return response;
  };
  window.fetch = countingFetch;
  const observer = typeof PerformanceObserver === "function" ? new PerformanceObserver((entries) => {
    for (const entry of entries.getEntries()) if (entry.initiatorType !== "fetch") add(entry.decodedBodySize || 0);
  }) : null;
  if (observer) observer.observe({ type: "resource" });
  stopCounting = () => {
    if (window.fetch === countingFetch) window.fetch = plainFetch;
    if (observer) observer.disconnect();
  };
  showBytes(0, total);
}

function probeStorage() {
  return new Promise((resolve) => {
    try {
      const req = indexedDB.open("carelog-probe");
      req.onsuccess = () => { req.result.close(); resolve(true); };
      req.onerror = () => resolve(false);
    } catch (error) {
      resolve(false);
    }
  });
}

function startPython(fromNetwork) {
  showPhase(fromNetwork ? "Downloading carelog…" : "Starting carelog…");
  if (fromNetwork) countDownloads();
  else showBytes(0, 0);
  addEventListener("py:progress", (event) => {
    if (typeof event.detail === "string") showPhase(`Starting carelog: ${event.detail.replace(/^Load(ing|ed) /, "")}…`);
  });
  const script = document.createElement("script");
  script.type = "py";
  script.src = "./main.py";
  script.setAttribute("config", "./pyscript.json");
  document.body.append(script);
  return import("../vendor/pyscript/core.js");
}

async function boot() {
  setState("booting");
  window.carelogBoot = {
    build: html.dataset.build || "dev", ready, fail, applyUpdate, updateReady: false,
  };
  if (typeof WebAssembly !== "object" || !("indexedDB" in window) || typeof BigInt64Array !== "function") {
    fail("old-browser", "");
    return;
  }
  setTimeout(() => fail("timeout", ""), START_TIMEOUT_MS);
  addEventListener("error", (event) => { if (!settled) fail("crash", event.message); });
  addEventListener("unhandledrejection", (event) => {
    // e.g. the runtime refused by the browser (CSP, memory): say so instead of spinning
    if (!settled) fail("crash", event.reason && (event.reason.message || String(event.reason)));
  });
  const storageOk = probeStorage();
  globalThis.carelogIdb.openEarly("carelog");  // the app's database, opened while Python starts
  const fromNetwork = !(navigator.serviceWorker && navigator.serviceWorker.controller);
  installOffline();
  if (!(await storageOk)) {
    fail("storage", "IndexedDB could not be opened.");
    return;
  }
  try {
    await startPython(fromNetwork);
  } catch (error) {
    fail(navigator.onLine ? "crash" : "network", error && error.message);
  }
}

boot();
