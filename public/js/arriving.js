// carelog arriving events: a pull's events stored in packs, arranged afterwards.
//
// A sync pull (idb.js `putPulled`) stores thousands of events at once. One
// "events" row per event, with its five indexes, cost about 160 us here, so a
// pull of 10,000 spent 1.6 s in that write alone; rows of PACK events with no
// index cost about 7 us per event (bench/bench_pull_write.py). So a pull
// writes its new events as packs in the "arriving" store (schema step 7 -> 8),
// {records: [...stored records], devices: [...their devices]} under an
// auto-increment key, in ONE transaction with the batch's one feed position
// and the checkpoints past them.
//
// Afterwards, in the page's idle time and once no sync run holds its lock
// (the run's own writes go first), `run` arranges one pack at a time into
// "events" (idb.js `arrangeNext`): its records added (their entries' revisions
// noted, their ids queued for the word index) and the pack deleted, in one
// transaction. A crash or a reload finds the packs and goes on
// (`attach`); a record already stored is kept as it is, so a pack arranged twice
// (two tabs) changes nothing.
//
// Reads stay right meanwhile: every read of idb.js (ranges, the timeline's
// windows, histories, entries, kinds, the newest stamp) and the word search
// also take the arriving events that match (`rows`), the stored row winning
// when an event is in both. Merged reads are slower while packs wait (they read
// every pack), and equal to what they give once the packs are arranged.
// The charts' cached days that a pulled event changes are dropped when its
// pack is written (their next fill reads the merged rows); arranging drops none.
//
// Debug hooks (tests): `globalThis.carelogArriving.pause()`, `.resume()`,
// `.drain()` (arrange every pack now, even while paused), `.pending()` (events waiting).

import { startInIdleTime } from "./idle.js";
import { request } from "./vault.js";

export const STORE = "arriving";
export const PACK = 500;
const START_DELAY_MS = 200; // after the last pulled batch: the pull's own writes go first
const SYNC_LOCK = "carelog-sync"; // ui/sync_dom.py LOCK_NAME: a sync run in some tab holds it
const SYNC_WAIT_MS = 250;

// paused: by the debug hook, or from the start when the page set carelogArrivingPaused first (tests)
const control = { paused: globalThis.carelogArrivingPaused === true };
const known = new Set(); // open databases with the store (debug hooks)

// The store's name when this database has it (an older schema in upgrade tests has not).
export function storesOf(idb) {
  return idb.objectStoreNames.contains(STORE) ? [STORE] : [];
}

// Inside a write transaction that includes STORE: the records (as stored) and
// their devices, PACK to a row.
export function pack(tx, records, devices) {
  const store = tx.objectStore(STORE);
  for (let i = 0; i < records.length; i += PACK) {
    store.add({ records: records.slice(i, i + PACK), devices: devices.slice(i, i + PACK) });
  }
}

// Every arriving record (as stored: sealed when the lock is on), oldest pack
// first; read in `tx` when given (it must include STORE if the database has it).
// A reader of "events" reads these in the same transaction (one snapshot), or
// FIRST: a pack arranged in between is then in both (merged once), never in neither.
export async function rows(db, tx = null) {
  if (!storesOf(db.db).length) return [];
  const store = (tx || db.db.transaction(STORE, "readonly")).objectStore(STORE);
  const packs = await request(store.getAll());
  return packs.length ? packs.flatMap((p) => p.records) : [];
}

// `stored` (rows read from "events", in their order) with the `arriving` rows
// that the same query matches, each event once (the stored row wins), in the
// indexes' order (time, then id), newest first with `newestFirst`; at most `limit`.
export function merge(stored, arriving, newestFirst = false, limit = null) {
  if (!arriving.length) return stored;
  let out = plus(stored, arriving);
  out.sort((a, b) => (a.at - b.at) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (newestFirst) out.reverse();
  if (limit != null) out = out.slice(0, limit);
  return out;
}

// `rows` and the arriving ones not among them (by id), in that order.
export function plus(stored, arriving) {
  if (!arriving.length) return stored;
  const have = new Set(stored.map((row) => row.id));
  return stored.concat(arriving.filter((row) => !have.has(row.id)));
}

// A newly opened database: go on with what a previous page left arriving.
export function attach(db) {
  if (storesOf(db.db).length) schedule(db, START_DELAY_MS);
}

// Arrange the packs in idle time, one per idle slot, until none is left (or paused).
export function schedule(db, delay = 0) {
  if (!storesOf(db.db).length) return;
  known.add(db);
  startInIdleTime(db, "arriveTimer", delay, () => run(db)); // a later pull pushes the start back
}

// Whether a sync run holds its Web Lock (in any tab): arranging waits for its end, so the
// rest of the run (its checkpoints, the push) does not queue behind the packs' writes.
async function syncRunning() {
  if (!globalThis.navigator || !navigator.locks || !navigator.locks.query) return false;
  try {
    const state = await navigator.locks.query();
    return state.held.some((lock) => lock.name === SYNC_LOCK);
  } catch (error) {
    return false;
  }
}

async function run(db) {
  if (control.paused || db.arriveRunning) return;
  if (await syncRunning()) { schedule(db, SYNC_WAIT_MS); return; }
  db.arriveRunning = true;
  let more = false;
  try {
    more = await db.arrangeNext();
  } catch (error) {
    more = false; // a closed database or a failed write: stop; the pack stays, the next open goes on
  } finally {
    db.arriveRunning = false;
  }
  if (more) schedule(db, 0);
}

// Arrange every pack now (tests, benchmarks, and before the lock seals what is stored).
export async function drain(db) {
  if (!storesOf(db.db).length) return;
  while (await db.arrangeNext()) { /* one pack per transaction */ }
}

globalThis.carelogArriving = {
  pause() { control.paused = true; },
  resume() { control.paused = false; for (const db of known) schedule(db, 0); },
  async drain() { for (const db of known) await drain(db); },
  async pending() { let n = 0; for (const db of known) n += (await rows(db)).length; return n; },
};
