// carelog vital days: a derived cache of each day's current vital readings.
//
// The "vital_days" object store (out-of-line keys) holds one row per care
// recipient per UTC day, key [recipient, day] with day = floor(at / 86400000):
//   {v: 2, t: {<vital type>: '[[entry id, at, recorded by, {unit, numbers}], ...]'}}
// the folded (current) readings whose time falls in that day, built in Python
// (py/carelog/domain/vitaldays.py) from the events. Charts read about 366
// small rows instead of every vital event of a year. Each type's readings are
// kept as JSON text (format 2): IndexedDB hands back one string per type instead
// of thousands of small arrays (most of a year's read time with format 1), and
// the reader passes the asked type's text on to Python without re-encoding it,
// after checking it. A row of another format reads as missing (rebuilt). The key
// "gen" holds a random token, replaced whenever buckets are dropped.
//
// The cache is never trusted over the events:
// - `dropForRecord` runs inside idb.js's putEvents transaction for each new
//   vital event: the bucket of its day, and of every other version of its entry
//   (an edit that moves a reading, a delete), go in the SAME transaction;
// - `clearAll` runs inside the lock's sealing transactions (vault.js);
// - a reader gets the token with the rows, and `write` stores rebuilt buckets
//   only if the token is unchanged (a write in between could have made them stale);
// - a missing, unreadable or unopenable row reads as missing, and Python
//   rebuilds it from the events.
// With the lock on, a row is {sealed: {iv, ct}}: only recipient and day (the key) in clear.
//
// Python reaches it through `globalThis.carelogVitalDays` (py/carelog/adapters/browser_vitaldays.py):
//   JSON.parse(await carelogVitalDays.read(db, JSON.stringify({recipient, from, to, type})))
//     -> {gen, rows: [...readings of `type`], types: [...types with readings], missing: [days]}
//   await carelogVitalDays.write(db, JSON.stringify({recipient, gen, days: {day: bucket}})) -> true | false

import { done, openValue, request, sealValue } from "./vault.js";

export const STORE = "vital_days";
const GEN = "gen";
const DAY_MS = 86400000;
const FORMAT = 2;

// The cache's store name when this database has it (an older schema in upgrade tests has not).
export function storesOf(idb) {
  return idb.objectStoreNames.contains(STORE) ? [STORE] : [];
}

function bump(store) {
  store.put(crypto.randomUUID(), GEN);
}

// Inside a write transaction that includes STORE: drop the buckets a new
// stored event can change (its day and the days of its entry's other versions).
// Each bucket is deleted once per transaction; a new entry (a create) asks the
// by_entry index for a count first (keys only), since it rarely has other versions
// (an edit from another device that arrived before it); with `revised` (the
// entries that have revisions, revisions.js, read once) it asks only for those.
export function dropForRecord(tx, record, revised = null) {
  if (record.kind !== "vital" || !tx.objectStoreNames.contains(STORE)) return;
  if (!tx.carelogVitalDays) {
    tx.carelogVitalDays = { store: tx.objectStore(STORE), dropped: new Set() };
    bump(tx.carelogVitalDays.store);
  }
  const { store, dropped } = tx.carelogVitalDays;
  const drop = (row) => {
    const day = Math.floor(row.at / DAY_MS);
    const key = `${day} ${row.recipient}`;
    if (dropped.has(key)) return;
    dropped.add(key);
    store.delete([row.recipient, day]);
  };
  drop(record);
  const index = tx.objectStore("events").index("by_entry");
  const versions = () => {
    const req = index.getAll(record.entry);
    req.onsuccess = () => { for (const row of req.result) drop(row); };
  };
  if (record.id !== record.entry) { versions(); return; }
  if (revised) { if (revised.has(record.entry)) versions(); return; }
  const count = index.count(record.entry);
  count.onsuccess = () => { if (count.result > 1) versions(); };
}

// Inside a write transaction that includes STORE: drop every bucket.
export function clearAll(tx) {
  if (!tx.objectStoreNames.contains(STORE)) return;
  const store = tx.objectStore(STORE);
  store.clear();
  bump(store);
}

function aad(recipient, day) {
  return `vitalday:${recipient}:${day}`;
}

// A stored row as a bucket, or null when it is not one (damaged, of another format, or in clear
// while the lock is on). Only the shape is checked here; `readingsOf` checks the asked type's text.
async function bucketOf(db, recipient, day, row) {
  let value = row;
  if (row && row.sealed) {
    try {
      value = await openValue(db, row.sealed, aad(recipient, day));
    } catch (error) {
      if (error && error.name === "LockedError") throw error;
      return null; // does not open: rebuilt from the events
    }
  } else if (db.lockOn) {
    return null; // health data in clear while the lock is on: rebuilt (and sealed)
  }
  if (!value || value.v !== FORMAT || typeof value.t !== "object" || value.t === null || Array.isArray(value.t)) {
    return null;
  }
  for (const text of Object.values(value.t)) if (typeof text !== "string") return null;
  return value;
}

// The JSON text of a bucket's readings of one type if every reading has the bucket's shape
// and falls in its day, else null (the bucket is then rebuilt from the events).
function readingsOf(bucket, day, type) {
  const text = bucket.t[type];
  if (text === undefined) return "[]";
  let rows;
  try {
    rows = JSON.parse(text);
  } catch {
    return null;
  }
  if (!Array.isArray(rows) || text[0] !== "[" || text[text.length - 1] !== "]") return null;
  const lo = day * DAY_MS;
  const hi = lo + DAY_MS;
  for (const r of rows) {
    if (!Array.isArray(r) || r.length !== 4 || typeof r[0] !== "string" || !Number.isInteger(r[1])
        || r[1] < lo || r[1] >= hi || typeof r[2] !== "string" || typeof r[3] !== "object" || r[3] === null
        || Array.isArray(r[3])) return null;
  }
  return text;
}

// The keys and values of a key range: one getAllRecords request where the browser has it,
// else getAllKeys and getAll (two requests, one after the other in the transaction).
async function records(store, range) {
  if (typeof store.getAllRecords === "function") {
    const found = await request(store.getAllRecords({ query: range }));
    return [found.map((record) => record.key), found.map((record) => record.value)];
  }
  return Promise.all([request(store.getAllKeys(range)), request(store.getAll(range))]);
}

export async function read(db, json) {
  const q = JSON.parse(json);
  const tx = db.db.transaction(STORE, "readonly");
  const store = tx.objectStore(STORE);
  const range = IDBKeyRange.bound([q.recipient, q.from], [q.recipient, q.to]);
  const [[keys, values], gen] = await Promise.all([records(store, range), request(store.get(GEN))]);
  const found = new Map();
  const buckets = await Promise.all(values.map((row, i) => bucketOf(db, q.recipient, keys[i][1], row)));
  buckets.forEach((bucket, i) => { if (bucket) found.set(keys[i][1], bucket); });
  const parts = [];
  const types = new Set();
  const missing = [];
  for (let day = q.from; day <= q.to; day += 1) {
    const bucket = found.get(day);
    const text = bucket ? readingsOf(bucket, day, q.type) : null;
    if (text === null) { missing.push(day); continue; }
    for (const [type, list] of Object.entries(bucket.t)) if (list.length > 2) types.add(type);
    if (text.length > 2) parts.push(text.slice(1, -1));
  }
  // the checked texts go on as they are: one JSON document, no re-encoding of the readings
  return `{"gen":${JSON.stringify(gen ?? null)},"types":${JSON.stringify([...types])},`
    + `"missing":${JSON.stringify(missing)},"rows":[${parts.join(",")}]}`;
}

// A bucket from Python ({v, t: {type: [readings]}}) as stored: each type's readings as JSON text.
function stored(bucket) {
  const t = {};
  for (const [type, rows] of Object.entries(bucket.t)) t[type] = JSON.stringify(rows);
  return { v: FORMAT, t };
}

export async function write(db, json) {
  const q = JSON.parse(json);
  const days = Object.entries(q.days).map(([day, bucket]) => [day, stored(bucket)]);
  const sealed = await Promise.all(days.map(([day, bucket]) => (
    db.lockOn ? sealValue(db, bucket, aad(q.recipient, Number(day))).then((s) => ({ sealed: s })) : bucket)));
  const tx = db.db.transaction(STORE, "readwrite");
  const store = tx.objectStore(STORE);
  const gen = await request(store.get(GEN));
  // something was written since the rows were read: they may be stale, store nothing
  const fresh = (gen ?? null) === q.gen;
  if (fresh) days.forEach(([day], i) => store.put(sealed[i], [q.recipient, Number(day)]));
  await done(tx);
  return fresh;
}

globalThis.carelogVitalDays = { read, write };
