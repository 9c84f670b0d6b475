// carelog word queue: the words of pulled events, indexed after the pull.
//
// A sync pull (idb.js `putPulled`) stores thousands of events at once; their
// rows of the search's word index (terms.js) cost about as much again as the
// events themselves. So a pull does not write them: in the same transaction
// as the events it adds ONE row to the "unindexed" store (schema step 6 -> 7):
// the new events' ids, under an auto-increment key. The durable marker of
// "not yet indexed" is that row: a crash or a reload finds it and goes on.
//
// After the pull, in the page's idle time, `run` indexes the queue CHUNK events
// at a time, each chunk in its own transaction: the events' "terms" rows put
// and their ids taken out of the queue row (the row deleted once empty),
// together. Puts of "terms" rows are idempotent, so two tabs indexing the same
// row, or a chunk done twice after a crash, leave the same index.
//
// Search stays right meanwhile: search.js reads the queued events themselves
// (`pendingRows`) and checks them against the query as it checks the index's
// candidates, so a word of a just-pulled entry is found before its terms are.
//
// The lock: with the lock on, the terms are keyed tokens (the term key, memory
// only while unlocked). Indexing stops while locked and the next unlock goes on
// (vault.js calls `db.onUnlock`). The plain records of a pull are kept in
// memory until indexed (so neither the indexer nor a search decrypts them
// again); locking drops them with the keys (vault.js `lock`).
//
// Debug hooks (tests): `globalThis.carelogWordQueue.pause()`, `.resume()`,
// `.step()` (one chunk now, even while paused), `.pending()` (ids queued).

import { startInIdleTime } from "./idle.js";
import { termRows } from "./terms.js";
import { done, openRows, request } from "./vault.js";

export const STORE = "unindexed";
export const CHUNK = 250;
const START_DELAY_MS = 300; // after the last pulled batch: the pull's own writes go first
const KEEP_MAX = 50000; // plain records kept in memory at most

// paused: by the debug hook, or from the start when the page set carelogWordQueuePaused first (tests)
const control = { paused: globalThis.carelogWordQueuePaused === true };
const known = new Set(); // open databases with a queue (debug hooks)

// The queue's store name when this database has it (an older schema in upgrade tests has not).
export function storesOf(idb) {
  return idb.objectStoreNames.contains(STORE) ? [STORE] : [];
}

// Inside a write transaction that includes STORE: queue the ids of new pulled events.
export function queue(tx, ids) {
  if (ids.length) tx.objectStore(STORE).add(ids);
}

// After a pull's transaction has committed: keep its plain records (the
// queued ones) in memory, and start indexing soon.
export function remember(db, plain, ids) {
  const wanted = new Set(ids);
  if (!db.lateWords) db.lateWords = new Map();
  for (const record of plain) {
    if (db.lateWords.size >= KEEP_MAX) break;
    if (wanted.has(record.id)) db.lateWords.set(record.id, record);
  }
  schedule(db, START_DELAY_MS);
}

// A newly opened database: go on with what a previous page left queued.
export function attach(db) {
  if (storesOf(db.db).length) schedule(db, START_DELAY_MS);
}

// Every queued id (all rows), read in one transaction.
export async function pendingIds(db) {
  if (!storesOf(db.db).length) return [];
  const rows = await request(db.db.transaction(STORE, "readonly").objectStore(STORE).getAll());
  return rows.flat();
}

// The queued events, as plain records (kept ones, else read and opened).
export async function pendingRows(db, ids = null) {
  const wanted = ids || await pendingIds(db);
  if (!wanted.length) return [];
  const kept = db.lateWords || new Map();
  const out = [];
  const missing = [];
  for (const id of wanted) {
    const record = kept.get(id);
    if (record) out.push(record); else missing.push(id);
  }
  if (missing.length) {
    const store = db.db.transaction("events", "readonly").objectStore("events");
    const rows = await Promise.all(missing.map((id) => request(store.get(id))));
    out.push(...await openRows(db, rows.filter((row) => row !== undefined)));
  }
  return out;
}

// Index one chunk of the oldest queue row. -> true while more is queued,
// false once the queue is empty, null when it cannot go on now (locked).
export async function step(db, size = CHUNK) {
  if (!storesOf(db.db).length) return false;
  if (db.lockOn && !db.termKey) return null;
  const first = await request(db.db.transaction(STORE, "readonly").objectStore(STORE).openCursor());
  if (!first) return false;
  const chunk = first.value.slice(0, size);
  const key = db.lockOn ? db.termKey : null; // the words' form: clear, or tokens under this key
  const terms = await termRows(db, await pendingRows(db, chunk));
  if ((db.lockOn ? db.termKey : null) !== key) return null; // locked, or the lock turned on meanwhile
  const tx = db.db.transaction(["terms", STORE], "readwrite", { durability: "relaxed" });
  const termStore = tx.objectStore("terms");
  for (const row of terms) if (row.t.length) termStore.put(row);
  const queue = tx.objectStore(STORE);
  const indexed = new Set(chunk);
  let more = false;
  const req = queue.get(first.primaryKey); // read again inside the write: another tab may have indexed some
  req.onsuccess = () => {
    const ids = (req.result || []).filter((id) => !indexed.has(id));
    if (ids.length) queue.put(ids, first.primaryKey); else queue.delete(first.primaryKey);
    more = ids.length > 0;
  };
  const rows = queue.count();
  await done(tx);
  if (db.lateWords) for (const id of chunk) db.lateWords.delete(id);
  return more || rows.result > 1;
}

// Index the queue in idle time, a chunk per idle slot, until it is empty (or paused, or locked).
export function schedule(db, delay = 0) {
  if (!storesOf(db.db).length) return;
  known.add(db);
  startInIdleTime(db, "wordTimer", delay, () => run(db)); // a later pull pushes the start back
}

async function run(db) {
  if (control.paused || db.wordRunning) return;
  db.wordRunning = true;
  let left = null;
  try {
    left = await step(db);
  } catch (error) {
    left = false; // a closed database or a failed write: stop; the queue row stays, the next open goes on
  } finally {
    db.wordRunning = false;
  }
  if (left) schedule(db, 0);
  else if (left === null && !(db.lockOn && !db.termKey)) schedule(db, 50); // the lock turned on meanwhile: again
}

globalThis.carelogWordQueue = {
  pause() { control.paused = true; },
  resume() { control.paused = false; for (const db of known) schedule(db, 0); },
  async step() { for (const db of known) await step(db); },
  async pending() { let n = 0; for (const db of known) n += (await pendingIds(db)).length; return n; },
};
