// carelog sync helper: the only code that talks to a sync endpoint (fetch)
// and holds a circle key (WebCrypto). Used by py/carelog/adapters/browser_sync.py
// through `globalThis.carelogSync`. Bytes cross the Python/JS boundary once per
// call, as one Uint8Array.
//
//   const r = await carelogSync.request("GET", url, {"If-None-Match": etag}, null, 20000);
//   // -> {status, etag, body: Uint8Array}; no answer at all -> throws an Error named "TransportError"
//   const key = await carelogSync.deriveKey("passphrase", saltBytes, 600000);  // non-extractable
//   const sealed = await carelogSync.encrypt(key, plainBytes);   // 12-byte IV || ciphertext+tag
//   const plain = await carelogSync.decrypt(key, sealed);        // throws "CipherError"

const IV_BYTES = 12;
// x-amz-*: an S3 bucket's signed request (py/carelog/adapters/s3_fetch.py).
const ALLOWED_HEADERS = new Set(["authorization", "if-match", "if-none-match", "content-type",
                                 "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"]);

function named(name, message) {
  const error = new Error(message);
  error.name = name;
  return error;
}

// One HTTP request. Every HTTP answer (errors included) resolves; no answer
// (offline, timeout, connection reset, CORS refusal, body cut off) rejects
// with a "TransportError". `cache: "no-store"`: the browser's HTTP cache never
// answers for the server (the app sends If-None-Match itself).
export async function request(method, url, headers, body, timeoutMs) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs || 20000);
  const sent = {};
  for (const [name, value] of Object.entries(headers || {})) {
    if (value != null && ALLOWED_HEADERS.has(name.toLowerCase())) sent[name] = String(value);
  }
  try {
    const response = await fetch(url, {
      method, headers: sent, body: body == null ? undefined : body, cache: "no-store",
      credentials: "omit", redirect: "follow", mode: "cors", signal: controller.signal,
    });
    const bytes = new Uint8Array(await response.arrayBuffer());
    return { status: response.status, etag: response.headers.get("ETag"), body: bytes };
  } catch (error) {
    const why = controller.signal.aborted ? "timed out" : ((error && error.message) || "network error");
    throw named("TransportError", why);
  } finally {
    clearTimeout(timer);
  }
}

const encoder = new TextEncoder();

// PBKDF2-SHA256 -> a non-extractable AES-GCM-256 key (usable to encrypt and decrypt only).
export async function deriveKey(passphrase, salt, iterations) {
  const material = await crypto.subtle.importKey("raw", encoder.encode(passphrase), "PBKDF2", false,
                                                 ["deriveKey", "deriveBits"]);
  return crypto.subtle.deriveKey({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, material,
                                 { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
}

// The same 32 key bytes as `deriveKey`, for an invite link only (never stored, never sent).
export async function deriveRawKey(passphrase, salt, iterations) {
  const material = await crypto.subtle.importKey("raw", encoder.encode(passphrase), "PBKDF2", false,
                                                 ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations },
                                              material, 256);
  return new Uint8Array(bits);
}

// A key from an invite link's 32 raw bytes, non-extractable.
export async function importRawKey(raw) {
  if (raw.length !== 32) throw named("CipherError", "a circle key has 32 bytes");
  return crypto.subtle.importKey("raw", raw, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
}

export async function encrypt(key, plaintext) {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES)); // fresh for every encryption
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, plaintext));
  const out = new Uint8Array(IV_BYTES + sealed.length);
  out.set(iv, 0);
  out.set(sealed, IV_BYTES);
  return out;
}

export async function decrypt(key, sealed) {
  if (sealed.length < IV_BYTES + 16) throw named("CipherError", "too short");
  try {
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: sealed.subarray(0, IV_BYTES) }, key,
                                              sealed.subarray(IV_BYTES));
    return new Uint8Array(plain);
  } catch (error) {
    throw named("CipherError", "does not authenticate");
  }
}

// Run `fn` (returns a promise) holding the Web Lock `name`, so one tab syncs at
// a time; when another tab holds it, resolve "busy" at once. Without Web Locks: just run.
export async function withLock(name, fn) {
  if (!navigator.locks) return fn();
  return navigator.locks.request(name, { ifAvailable: true }, (lock) => (lock ? fn() : "busy"));
}

export function randomBytes(n) {
  return crypto.getRandomValues(new Uint8Array(n));
}

globalThis.carelogSync = { request, deriveKey, deriveRawKey, importRawKey, encrypt, decrypt, randomBytes,
                         withLock };
