// carelog vault: the passphrase lock and encryption at rest (WebCrypto only).
//
// Key hierarchy (docs/SECURITY.md, "Lock and encryption at rest"):
//   passphrase   --PBKDF2-SHA256, 600,000 iterations, random salt--> wrapping key (AES-GCM-256)
//   recovery key --PBKDF2-SHA256, 600,000 iterations, random salt--> wrapping key (AES-GCM-256)
//   each wrapping key wraps the same random AES-GCM-256 data key (fresh 96-bit IV each)
// Only the wrapped data key is stored (IndexedDB "keys" store, record "lock").
// After unlocking, the data key lives only in memory, as a non-extractable
// CryptoKey on the open Database (`db.dataKey`); locking drops the reference.
// The search-term key (terms.js): the data key's bytes unwrapped a second
// time as HKDF key material (non-extractable), HKDF-SHA256 (info "carelog
// search terms v1") -> an HMAC-SHA256 key, `db.termKey`, memory only as well.
//
// idb.js seals records with `sealEvents`/`sealSetting` before a write
// transaction and opens them with `openRows`/`openSetting` after a read, so an
// event crosses the Python/JS boundary in clear inside the one JSON string of
// its batch and lies in IndexedDB as {id, recipient, kind, entry, at, hlc,
// sealed: {iv, ct}}: only what the indexes need stays readable.
//
// Python reaches the rest through `globalThis.carelogVault`
// (py/carelog/adapters/webcrypto_vault.py):
//   await carelogVault.status(db)                 -> JSON {enabled, unlocked, choice, idleMs, ...}
//   const recovery = await carelogVault.setUp(db, "passphrase", 600000)  // shown once
//   await carelogVault.unlock(db, secret, "passphrase" | "recovery")    -> true | false
//   carelogVault.lock(db)

import { PENDING, termRows } from "./terms.js";

export const ITERATIONS = 600000;
export const LOCK_RECORD = "lock";
export const DEFAULT_IDLE_MS = 5 * 60 * 1000;
const IV_BYTES = 12;
const CLEAR_FIELDS = ["id", "recipient", "kind", "entry", "at", "hlc"];
// Crockford base32: no I, L, O, U (they read like 1, 1, 0, V)
const RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const RECOVERY_CHARS = 24; // 120 random bits, shown as 6 groups of 4

import { clearAll as clearVitalDays, storesOf as vitalDayStores } from "./vitaldays.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function named(name, message) {
  const error = new Error(message);
  error.name = name;
  return error;
}

function locked() {
  return named("LockedError", "carelog is locked: unlock it with the passphrase first");
}

// --- keys -----------------------------------------------------------------

async function wrappingKey(secret, salt, iterations) {
  const material = await crypto.subtle.importKey("raw", encoder.encode(secret), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, material,
                                 { name: "AES-GCM", length: 256 }, false, ["wrapKey", "unwrapKey"]);
}

// Wrap `dataKey` (extractable, briefly) under a key derived from `secret`.
async function wrapUnder(dataKey, secret, iterations) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const kek = await wrappingKey(secret, salt, iterations);
  const wrapped = new Uint8Array(await crypto.subtle.wrapKey("raw", dataKey, kek, { name: "AES-GCM", iv }));
  return { salt, iv, iterations, wrapped };
}

// The data key from one wrapped copy; null when `secret` does not open it.
async function unwrapWith(slot, secret, extractable) {
  if (!slot) return null;
  try {
    const kek = await wrappingKey(secret, slot.salt, slot.iterations);
    return await crypto.subtle.unwrapKey("raw", slot.wrapped, kek, { name: "AES-GCM", iv: slot.iv },
                                         { name: "AES-GCM", length: 256 }, extractable, ["encrypt", "decrypt"]);
  } catch (error) {
    return null; // the GCM tag did not authenticate: wrong secret
  }
}

// The data key and the search-term key from one wrapped copy (one key
// derivation); null when `secret` does not open it.
async function openSlot(slot, secret) {
  if (!slot) return null;
  try {
    const kek = await wrappingKey(secret, slot.salt, slot.iterations);
    const unwrap = (algorithm, usages) => crypto.subtle.unwrapKey(
      "raw", slot.wrapped, kek, { name: "AES-GCM", iv: slot.iv }, algorithm, false, usages);
    const dataKey = await unwrap({ name: "AES-GCM", length: 256 }, ["encrypt", "decrypt"]);
    const material = await unwrap("HKDF", ["deriveKey"]);
    const termKey = await crypto.subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(32), info: encoder.encode("carelog search terms v1") },
      material, { name: "HMAC", hash: "SHA-256", length: 256 }, false, ["sign"]);
    return { dataKey, termKey };
  } catch (error) {
    return null; // the GCM tag did not authenticate: wrong secret
  }
}

function useKeys(db, keys) {
  db.dataKey = keys.dataKey;
  db.termKey = keys.termKey;
  db.termCache = null;
}

export function newRecoveryKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(RECOVERY_CHARS));
  let text = "";
  for (const b of bytes) text += RECOVERY_ALPHABET[b & 31]; // 256 = 8 * 32: no bias
  return text.match(/.{4}/g).join("-");
}

// What the caregiver typed, in the one form the key was derived from.
export function normalRecoveryKey(text) {
  const clean = String(text || "").toUpperCase().replace(/[\s-]/g, "")
    .replace(/O/g, "0").replace(/[IL]/g, "1");
  return clean.length === RECOVERY_CHARS ? clean.match(/.{4}/g).join("-") : null;
}

// --- sealing records ------------------------------------------------------

async function seal(key, plain, aad) {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES)); // fresh for every encryption
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: encoder.encode(aad) }, key,
                                         encoder.encode(JSON.stringify(plain)));
  return { iv, ct: new Uint8Array(ct) };
}

async function unseal(key, sealed, aad) {
  try {
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: sealed.iv, additionalData: encoder.encode(aad) },
                                              key, sealed.ct);
    return JSON.parse(decoder.decode(plain));
  } catch (error) {
    throw named("CipherError", "a stored record does not open with this key (damaged or tampered with)");
  }
}

// Records as idb.js will store them: sealed when the lock is on.
export async function sealEvents(db, records) {
  if (!db.lockOn) return records;
  if (!db.dataKey) throw locked();
  const key = db.dataKey;
  return Promise.all(records.map(async (record) => {
    if (record.sealed) return record;
    const clear = {};
    const secret = {};
    for (const [name, value] of Object.entries(record)) {
      if (CLEAR_FIELDS.includes(name)) clear[name] = value;
      else secret[name] = value;
    }
    clear.sealed = await seal(key, secret, `event:${record.id}`);
    return clear;
  }));
}

// Stored rows back as the app's records (sealed ones opened).
export async function openRows(db, rows) {
  if (!rows.some((row) => row && row.sealed)) return rows;
  if (!db.dataKey) throw locked();
  const key = db.dataKey;
  return Promise.all(rows.map(async (row) => {
    if (!row || !row.sealed) return row;
    const { sealed, ...clear } = row;
    return { ...clear, ...(await unseal(key, sealed, `event:${row.id}`)) };
  }));
}

// Any JSON value sealed with the data key, bound to `aad` (the vital days cache, vitaldays.js).
export async function sealValue(db, value, aad) {
  if (!db.dataKey) throw locked();
  return seal(db.dataKey, value, aad);
}

export async function openValue(db, sealed, aad) {
  if (!db.dataKey) throw locked();
  return unseal(db.dataKey, sealed, aad);
}

export async function sealSetting(db, key, value) {
  if (!db.lockOn) return { key, value };
  if (!db.dataKey) throw locked();
  return { key, sealed: await seal(db.dataKey, value, `setting:${key}`) };
}

export async function openSetting(db, row) {
  if (row === undefined || !row.sealed) return row === undefined ? undefined : row.value;
  if (!db.dataKey) throw locked();
  return unseal(db.dataKey, row.sealed, `setting:${row.key}`);
}

// --- the lock record --------------------------------------------------------

export function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error || named("AbortError", "the transaction was aborted"));
  });
}

export async function readLock(db) {
  if (!db.db.objectStoreNames.contains("keys")) return null; // an older schema (upgrade tests)
  const tx = db.db.transaction("keys", "readonly");
  const record = await request(tx.objectStore("keys").get(LOCK_RECORD));
  return record || null;
}

async function writeLock(db, record) {
  const tx = db.db.transaction("keys", "readwrite", { durability: "strict" });
  tx.objectStore("keys").put(record, LOCK_RECORD);
  await done(tx);
}

export async function loadLock(db) {
  const record = await readLock(db);
  db.lockOn = Boolean(record && record.choice === "on");
  return record;
}

// --- the API Python calls ---------------------------------------------------

export async function status(db) {
  const record = await loadLock(db);
  return JSON.stringify({
    enabled: db.lockOn,
    unlocked: Boolean(db.dataKey),
    choice: record ? record.choice : "",
    idleMs: record && record.idleMs ? record.idleMs : DEFAULT_IDLE_MS,
    failures: record && record.failures ? record.failures : 0,
    lastFailureAt: record && record.lastFailureAt ? record.lastFailureAt : 0,
    migrated: Boolean(record && record.migrated),
    iterations: record && record.pass ? record.pass.iterations : 0,
  });
}

// Turn the lock on: a new data key, wrapped under the passphrase and a new
// recovery key (returned once, never stored). The data already stored is
// sealed afterwards by `encryptExisting`.
export async function setUp(db, passphrase, iterations = ITERATIONS) {
  const before = await loadLock(db);
  if (before && before.choice === "on") throw named("LockError", "the lock is already on");
  if (iterations < ITERATIONS) throw named("LockError", `at least ${ITERATIONS} iterations`);
  const recovery = newRecoveryKey();
  // extractable only inside this function, long enough to wrap it twice
  const extractable = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt", "decrypt"]);
  const pass = await wrapUnder(extractable, passphrase, iterations);
  const rescue = await wrapUnder(extractable, recovery, iterations);
  const keys = await openSlot(pass, passphrase); // the copies the app keeps: non-extractable
  await writeLock(db, { v: 1, choice: "on", pass, recovery: rescue, idleMs: (before && before.idleMs) || DEFAULT_IDLE_MS,
                        failures: 0, lastFailureAt: 0, migrated: false, createdAt: Date.now() });
  db.lockOn = true;
  useKeys(db, keys);
  return recovery;
}

export async function skip(db) {
  const record = await readLock(db);
  if (record && record.choice === "on") throw named("LockError", "the lock is on");
  await writeLock(db, { ...(record || {}), v: 1, choice: "skipped" });
}

// Unlock with the passphrase or the recovery key: true, or false (and the
// failure counted) when it does not open the data key.
export async function unlock(db, secret, kind) {
  const record = await loadLock(db);
  if (!record || record.choice !== "on") return true;
  const text = kind === "recovery" ? normalRecoveryKey(secret) : String(secret);
  const slot = kind === "recovery" ? record.recovery : record.pass;
  const keys = text ? await openSlot(slot, text) : null;
  if (!keys) {
    await writeLock(db, { ...record, failures: (record.failures || 0) + 1, lastFailureAt: Date.now() });
    return false;
  }
  useKeys(db, keys);
  // events sealed before the word index existed get their terms now, in the background
  // (a search waits for it: search.js)
  db.termsReady = finishTerms(db).catch(() => 0);
  if (db.onUnlock) db.onUnlock(); // pulled events' words left to index (wordqueue.js)
  if (record.failures) await writeLock(db, { ...record, failures: 0, lastFailureAt: 0 });
  return true;
}

export function lock(db) {
  db.dataKey = null; // the only reference to the data key
  db.termKey = null;
  db.termCache = null; // the words typed or stored, as tokens: gone with the key
  db.lateWords = null; // pulled records kept in clear until indexed (wordqueue.js)
}

// New passphrase: re-wrap the data key (the data stays as it is). `current`
// is the passphrase or the recovery key. False when `current` opens nothing.
export async function changePassphrase(db, current, next) {
  const record = await loadLock(db);
  if (!record || record.choice !== "on") throw named("LockError", "the lock is off");
  let key = await unwrapWith(record.pass, String(current), true);
  const recovery = normalRecoveryKey(current);
  if (!key && recovery) key = await unwrapWith(record.recovery, recovery, true);
  if (!key) {
    await writeLock(db, { ...record, failures: (record.failures || 0) + 1, lastFailureAt: Date.now() });
    return false;
  }
  const pass = await wrapUnder(key, String(next), Math.max(ITERATIONS, record.pass.iterations));
  await writeLock(db, { ...record, pass, failures: 0, lastFailureAt: 0 });
  if (!db.dataKey) useKeys(db, await openSlot(pass, String(next)));
  return true;
}

export async function setIdle(db, ms) {
  const record = await readLock(db);
  await writeLock(db, { ...(record || { v: 1, choice: "" }), idleMs: Math.max(10000, Math.round(ms)) });
}

// Seal every event and setting still stored in clear, `batch` at a time (a
// read transaction, the sealing, then one write transaction per batch), then
// mark the lock record as migrated. Safe to stop and run again. -> count sealed
export async function encryptExisting(db, batch = 500) {
  if (!db.lockOn || !db.dataKey) throw locked();
  if (db.arrangeAll) await db.arrangeAll(); // pulled events still in packs (arriving.js) are sealed with the rest
  let sealed = 0;
  let after = null;
  for (;;) {
    const range = after === null ? null : IDBKeyRange.lowerBound(after, true);
    const read = db.db.transaction("events", "readonly");
    const rows = await request(read.objectStore("events").getAll(range, batch));
    if (!rows.length) break;
    after = rows[rows.length - 1].id;
    const clear = rows.filter((row) => !row.sealed);
    if (clear.length) {
      const out = await sealEvents(db, clear);
      const terms = await termRows(db, clear); // keyed tokens replace the clear terms
      const tx = db.db.transaction(["events", "terms", ...vitalDayStores(db.db)], "readwrite",
                                   { durability: "strict" });
      const store = tx.objectStore("events");
      for (const row of out) store.put(row);
      for (const row of terms) tx.objectStore("terms").put(row);
      clearVitalDays(tx); // the cache held these readings in clear: dropped with them
      await done(tx);
      sealed += out.length;
    }
    if (rows.length < batch) break;
  }
  const read = db.db.transaction("settings", "readonly");
  const settings = (await request(read.objectStore("settings").getAll())).filter((row) => !row.sealed);
  const out = await Promise.all(settings.map((row) => sealSetting(db, row.key, row.value)));
  if (out.length) {
    const tx = db.db.transaction("settings", "readwrite", { durability: "strict" });
    for (const row of out) tx.objectStore("settings").put(row);
    await done(tx);
    sealed += out.length;
  }
  const record = await readLock(db);
  await writeLock(db, { ...record, migrated: true });
  return sealed;
}

// Give the terms of the search index to events sealed before it existed
// (their rows hold PENDING since the upgrade), `batch` at a time; stops when
// locked, and the next unlock goes on. -> count indexed
export async function finishTerms(db, batch = 500) {
  let indexed = 0;
  if (!db.db.objectStoreNames.contains("terms")) return indexed;
  while (db.dataKey) {
    const read = db.db.transaction(["terms", "events"], "readonly");
    const ids = await request(read.objectStore("terms").index("by_term").getAllKeys(IDBKeyRange.only(PENDING), batch));
    if (!ids.length) break;
    const events = read.objectStore("events");
    const rows = (await Promise.all(ids.map((id) => request(events.get(id))))).filter((row) => row !== undefined);
    const terms = await termRows(db, await openRows(db, rows));
    const found = new Set(terms.map((row) => row.id));
    const tx = db.db.transaction("terms", "readwrite", { durability: "strict" });
    for (const row of terms) tx.objectStore("terms").put(row);
    for (const id of ids) if (!found.has(id)) tx.objectStore("terms").put({ id, t: [] });
    await done(tx);
    indexed += terms.length;
  }
  return indexed;
}

// --- idle -------------------------------------------------------------------

let idle = null;
const ACTIVITY = ["pointerdown", "keydown", "input", "wheel", "touchstart", "scroll"];

function touch() { if (idle) idle.last = Date.now(); }

// Call `onIdle` once when nobody touched the page for `ms`. Activity is
// noted here in JS, so typing never crosses into Python.
export function watchIdle(ms, onIdle) {
  stopIdle();
  idle = { ms, onIdle, last: Date.now(), timer: null };
  for (const name of ACTIVITY) document.addEventListener(name, touch, { capture: true, passive: true });
  idle.timer = setInterval(() => {
    if (idle && Date.now() - idle.last >= idle.ms) {
      const fire = idle.onIdle;
      stopIdle();
      fire();
    }
  }, Math.min(1000, ms));
}

export function stopIdle() {
  if (!idle) return;
  clearInterval(idle.timer);
  for (const name of ACTIVITY) document.removeEventListener(name, touch, { capture: true });
  idle = null;
}

globalThis.carelogVault = { status, setUp, skip, unlock, lock, changePassphrase, setIdle, encryptExisting,
                            watchIdle, stopIdle, normalRecoveryKey, ITERATIONS };
