// carelog IndexedDB helper: the only code that touches IndexedDB.
//
// Python calls it through `globalThis.carelogIdb`. Every batch crosses the
// Python/JS boundary once, as one JSON string, and is one transaction.
// A write promise resolves only after its transaction has completed (with
// strict durability), so the app never shows "saved" before the data is on disk.
//
//   const db = await carelogIdb.open("carelog");
//   await db.putEvents(JSON.stringify([record, ...]));   // -> number of new records
//   JSON.parse(await db.range(JSON.stringify({recipient, start, end, kinds, limit, newestFirst})));

import { loadLock, openRows, openSetting, sealEvents, sealSetting } from "./vault.js";
import { PENDING, clearTermRow, termRows } from "./terms.js";
import { findByTerms } from "./search.js";
import * as vitalDays from "./vitaldays.js";
import * as revisions from "./revisions.js";
import * as wordQueue from "./wordqueue.js";
import * as arriving from "./arriving.js";

export const DB_VERSION = 8;

// UPGRADES[i] moves a database from version i to version i + 1. Never edit a
// released step: add a new one, raise DB_VERSION, and add an upgrade test.
export const UPGRADES = [
  // 0 -> 1: the first release: events by id, by recipient + time, by entry.
  (db) => {
    const events = db.createObjectStore("events", { keyPath: "id" });
    events.createIndex("by_recipient_at", ["recipient", "at"]);
    events.createIndex("by_entry", "entry");
    db.createObjectStore("settings", { keyPath: "key" });
  },
  // 1 -> 2: kind and clock indexes (built over the records already stored).
  (db, tx) => {
    const events = tx.objectStore("events");
    events.createIndex("by_recipient_kind_at", ["recipient", "kind", "at"]);
    events.createIndex("by_kind", "kind");
    events.createIndex("by_hlc", "hlc");
  },
  // 2 -> 3: the change feed for sync: "feed" maps an auto-increment position
  // to an event id, written in the same transaction as each new event. The
  // events already stored get positions in clock order (their best known order).
  // "keys" holds a sync circle's non-extractable CryptoKey (structured clone:
  // usable here, its bytes unreadable), so no passphrase is ever stored.
  (db, tx) => {
    db.createObjectStore("keys");
    const feed = db.createObjectStore("feed", { autoIncrement: true });
    const req = tx.objectStore("events").index("by_hlc").openKeyCursor();
    req.onsuccess = () => {
      const cursor = req.result;
      if (!cursor) return;
      feed.add(cursor.primaryKey);
      cursor.continue();
    };
  },
  // 3 -> 4: the word index of the timeline's search (terms.js): "terms" holds
  // one row per event, {id, t: [[term, at], ...]}, under a
  // multiEntry index. Clear events get their terms here; sealed ones (the
  // lock) cannot be read during an upgrade: their row holds PENDING, and
  // vault.js finishes them at the next unlock.
  (db, tx) => {
    const terms = db.createObjectStore("terms", { keyPath: "id" });
    terms.createIndex("by_term", "t", { multiEntry: true });
    const events = tx.objectStore("events");
    const BATCH = 1000;
    const next = (after) => {
      const req = events.getAll(after === null ? null : IDBKeyRange.lowerBound(after, true), BATCH);
      req.onsuccess = () => {
        const rows = req.result;
        for (const row of rows) terms.put(row.sealed ? { id: row.id, t: [PENDING] } : clearTermRow(row));
        if (rows.length === BATCH) next(rows[rows.length - 1].id);
      };
    };
    next(null);
  },
  // 4 -> 5: "vital_days", a derived cache of each day's current vital readings
  // for charts (vitaldays.js); starts empty and fills as charts are drawn.
  (db) => {
    db.createObjectStore("vital_days");
  },
  // 5 -> 6: "revised" (revisions.js): the entries that have more than their
  // create event, so whole histories are read without a count per entry. Filled
  // here from the by_entry index's keys (entry and id stay clear when sealed).
  (db, tx) => {
    const revised = db.createObjectStore("revised");
    const req = tx.objectStore("events").index("by_entry").openKeyCursor();
    req.onsuccess = () => {
      const cursor = req.result;
      if (!cursor) return;
      if (cursor.key !== cursor.primaryKey) revised.put(true, cursor.key);
      cursor.continue();
    };
  },
  // 6 -> 7: "unindexed" (wordqueue.js): pulled events whose words are not yet
  // in the word index, one row of ids per pulled batch (auto-increment key).
  // Starts empty: every event stored before has its terms.
  (db) => {
    db.createObjectStore("unindexed", { autoIncrement: true });
  },
  // 7 -> 8: "arriving" (arriving.js): a pull's events in packs of several
  // hundred, arranged into "events" after the pull (auto-increment key).
  // Starts empty.
  (db) => {
    db.createObjectStore("arriving", { autoIncrement: true });
  },
];

function storageError(error, fallback) {
  const name = (error && error.name) || "Error";
  const err = new Error((error && error.message) || fallback);
  err.name = name === "QuotaExceededError" ? "QuotaExceededError" : name;
  return err;
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(storageError(tx.error, "the transaction was aborted"));
    tx.onerror = () => {}; // onabort follows and carries the error
  });
}

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(storageError(req.error, "the request failed"));
  });
}

// The [id, device] pairs of one feed position: [id, device] (one event), the
// id alone (written by the version 3 upgrade: device null, the record says),
// or {ids: [[id, device], ...]} (a pulled batch, see writeEvents).
function feedPairs(value) {
  if (typeof value === "string") return [[value, null]];
  if (value && Array.isArray(value.ids)) return value.ids;
  return [value];
}

// The stored records of `ids` (undefined for one not stored), in that order.
// A push's ids are this device's own events, stamped with a monotonic clock:
// they lie in one range of by_hlc, between the first's and the last's stamps.
// When that range holds few other events (pulled ones stamped in between), one
// getAll of it replaces a get per id; any id not in it is read by id, so the
// answer is the same whatever the stamps (a get per id for few ids, or when
// the range holds more than twice as many events as asked for).
async function recordsOf(events, ids) {
  const one = (id) => request(events.get(id));
  if (ids.length < 64) return Promise.all(ids.map(one));
  const [a, b] = await Promise.all([one(ids[0]), one(ids[ids.length - 1])]);
  const found = new Map();
  if (a && b && a.hlc && b.hlc) {
    const index = events.index("by_hlc");
    const range = a.hlc <= b.hlc ? IDBKeyRange.bound(a.hlc, b.hlc) : IDBKeyRange.bound(b.hlc, a.hlc);
    if ((await request(index.count(range))) <= 2 * ids.length) {
      for (const row of await request(index.getAll(range))) found.set(row.id, row);
    }
  }
  return Promise.all(ids.map((id) => found.get(id) || one(id)));
}

// Inside a write transaction: put every row of `rows` into `store` (none: nothing).
function putRows(tx, store, rows) {
  if (!rows.length) return;
  const target = tx.objectStore(store);
  for (const row of rows) target.put(row);
}

// Inside a write transaction (events, and the stores the options need: feed
// unless "given", terms unless `later`): add `records` (as stored) made by `devices` (same order). Each new
// one gets a feed position ([id, device]), or with `batchFeed` they share ONE
// ({ids: [[id, device], ...]}, in the order stored), or with `batchFeed`
// "given" none (arriving packs have theirs already); its word index row
// (`terms[i]`, skipped when it has no words), or with `later` its id queued for
// the word index (wordqueue.js); the charts' cached days it changes dropped
// (`vitals`); its entry noted as revised when it is an edit or a delete. A
// record already stored is kept as it is (events are immutable).
// -> {count, queued}, filled as the requests answer (read them after the commit).
function addRecords(tx, records, devices, { batchFeed, later, terms, vitals }) {
  const store = tx.objectStore("events");
  const feed = batchFeed === "given" ? null : tx.objectStore("feed");
  const termStore = later ? null : tx.objectStore("terms");
  const out = { count: 0, queued: [] };
  const batch = [];
  const lastOne = records.length - 1;
  // after the last add has answered (requests answer in order): the batch's one feed
  // position, and its ids queued for the word index
  const finish = (i) => {
    if (i !== lastOne) return;
    if (batch.length && batchFeed !== "given") feed.add({ ids: batch });
    if (later) wordQueue.queue(tx, out.queued);
  };
  records.forEach((record, i) => {
    const req = store.add(record);
    req.onsuccess = () => {
      out.count += 1;
      if (batchFeed) batch.push([record.id, devices[i]]);
      else feed.add([record.id, devices[i]]);
      if (later) out.queued.push(record.id);
      else if (terms[i].t.length) termStore.put(terms[i]);
      if (vitals) vitalDays.dropForRecord(tx, record);
      revisions.noteRecord(tx, record);
      finish(i);
    };
    req.onerror = (ev) => {
      if (req.error && req.error.name === "ConstraintError") {
        ev.preventDefault(); // already stored: keep the first
        ev.stopPropagation();
      }
      finish(i);
    };
  });
  return out;
}

// Which of `records`' ids "events" already holds, as a Set: a key read per id
// for a few, else every key of the store at once (one request: a request per
// event cost about as much as writing the event).
const KEY_READS_MAX = 200;
async function storedIds(events, records) {
  if (records.length > KEY_READS_MAX) return new Set(await request(events.getAllKeys()));
  const keys = await Promise.all(records.map((record) => request(events.getKey(record.id))));
  return new Set(keys.filter((key) => key !== undefined));
}

class Database {
  constructor(db) {
    this.db = db;
    this.lockOn = false;  // vault.js: records are sealed with the data key
    this.dataKey = null;  // the unwrapped data key while unlocked (memory only)
    this.termKey = null;  // the search terms' HMAC key while unlocked (terms.js, memory only)
    db.onversionchange = () => {
      // Another tab is upgrading the schema: step aside so it never hangs,
      // and tell this page so it can ask the user to reload.
      db.close();
      globalThis.dispatchEvent(new CustomEvent("carelog:db-versionchange"));
    };
    this.onUnlock = () => wordQueue.schedule(this); // vault.js, after an unlock
    wordQueue.attach(this); // pulled events left unindexed by an earlier page
    arriving.attach(this); // pulled events left in packs by an earlier page
  }

  get version() { return this.db.version; }

  close() { this.db.close(); }

  async putEvents(json) {
    return this.writeEvents(JSON.parse(json), {}, "strict");
  }

  // Store new events (`plain`, in the app's record format) and `settings`
  // ({key: JSON-able value}) in ONE transaction; returns how many events were
  // new. Each new event, in the same transaction: a feed position (sync's
  // change feed; value [id, device] so a reader of one device's events skips the
  // others' without a lookup; positions written by the version 3 upgrade hold the
  // id alone), its row in the search's word index (none for an event with no
  // words: no search word can match it), and the charts' cached days it touches
  // dropped. An event already stored is kept as it is (events are immutable).
  // With `batchFeed` (pulled events), the new events share ONE feed position:
  // {ids: [[id, device], ...]} in the order stored (an auto-increment add per
  // event cost as much as the event itself); see eventsAfter and recordsAfter.
  // Pulled events (`batchFeed`) get no word index rows here: their ids are
  // queued in the same transaction and indexed after it (wordqueue.js).
  async writeEvents(plain, settings, durability, batchFeed = false) {
    const later = batchFeed && wordQueue.storesOf(this.db).length > 0; // words indexed after the pull
    const records = await sealEvents(this, plain); // before the transaction opens; same order
    const terms = later ? null : await termRows(this, plain); // the search index's rows (keyed tokens when locked)
    const rows = await this.sealedSettings(settings);
    const stores = ["events", "feed", "terms", ...vitalDays.storesOf(this.db), ...revisions.storesOf(this.db),
                    ...(later ? wordQueue.storesOf(this.db) : [])];
    if (rows.length) stores.push("settings");
    const tx = this.db.transaction(stores, "readwrite", { durability });
    // sealed records keep the device inside the ciphertext
    const added = addRecords(tx, records, plain.map((p) => p.device), { batchFeed, later, terms, vitals: true });
    putRows(tx, "settings", rows);
    await done(tx);
    if (added.queued.length) wordQueue.remember(this, plain, added.queued);
    return added.count;
  }

  // `settings` ({key: JSON-able value}) as rows to put (sealed when the lock is on).
  async sealedSettings(settings) {
    const rows = [];
    for (const [key, value] of Object.entries(settings)) rows.push(await sealSetting(this, key, value));
    return rows;
  }

  // Events pulled by sync (arriving.js): the new ones stored in packs, with
  // their ONE feed position (as putPulled gave them before packs: the feed's
  // order stays the order pulled) and the settings, in ONE transaction; the
  // packs are arranged into "events" after it. -> how many were new (not already
  // in "events": a key read each, in the same transaction; nor arriving). The
  // charts' cached days they change are dropped here.
  async packPulled(plain, settings) {
    const records = await sealEvents(this, plain);
    const rows = await this.sealedSettings(settings);
    const stores = ["events", "feed", arriving.STORE, ...vitalDays.storesOf(this.db), ...revisions.storesOf(this.db)];
    if (rows.length) stores.push("settings");
    const tx = this.db.transaction(stores, "readwrite", { durability: "relaxed" });
    const [stored, waiting, revised] = await Promise.all([
      storedIds(tx.objectStore("events"), records),
      arriving.rows(this, tx).then((late) => new Set(late.map((row) => row.id))), // an earlier batch's packs
      revisions.revisedEntries(tx)]);
    const fresh = [];
    const devices = [];
    const ids = new Set();
    records.forEach((record, i) => {
      if (stored.has(record.id) || waiting.has(record.id) || ids.has(record.id)) return;
      ids.add(record.id);
      fresh.push(record);
      devices.push(plain[i].device);
      vitalDays.dropForRecord(tx, record, revised);
    });
    if (fresh.length) {
      arriving.pack(tx, fresh, devices);
      tx.objectStore("feed").add({ ids: fresh.map((record, k) => [record.id, devices[k]]) });
    }
    putRows(tx, "settings", rows);
    await done(tx);
    if (fresh.length) {
      wordQueue.remember(this, plain, [...ids]); // kept in clear for the word index, as a pull's records were
      arriving.schedule(this, 200);
    }
    return fresh.length;
  }

  // Every arriving pack arranged now (vault.js before it seals what is stored).
  async arrangeAll() { await arriving.drain(this); }

  // Arrange the oldest arriving pack (arriving.js) into "events", as a pull
  // stored its events before packs: each new record added (its feed position
  // was written with the pack), the revisions noted, the ids queued for the
  // word index; the pack deleted; one transaction. -> true while more packs wait.
  async arrangeNext() {
    if (!arriving.storesOf(this.db).length) return false;
    // no "feed": the pack's position was written with it (a push reading the feed need not wait)
    const stores = ["events", arriving.STORE, ...revisions.storesOf(this.db), wordQueue.STORE];
    const tx = this.db.transaction(stores, "readwrite", { durability: "relaxed" });
    const packs = tx.objectStore(arriving.STORE);
    const cursor = await request(packs.openCursor());
    if (!cursor) { await done(tx); return false; }
    const { records, devices } = cursor.value;
    addRecords(tx, records, devices, { batchFeed: "given", later: true, terms: null, vitals: false });
    cursor.delete();
    const left = packs.count();
    await done(tx);
    wordQueue.schedule(this, 300);
    return left.result > 0;
  }

  async range(json) {
    return JSON.stringify(await openRows(this, await this.rangeOf(JSON.parse(json)))); // decrypted when locked
  }

  // The arriving events (arriving.js) a range query `q` matches (recipient,
  // [start, end), kinds), read in `tx` when it has the store, else in their own.
  async arrivingIn(q, tx = null) {
    const all = await arriving.rows(this, tx);
    if (!all.length) return all;
    const lo = q.start ?? -Infinity;
    const hi = q.end ?? Infinity;
    const kinds = q.kinds && q.kinds.length ? new Set(q.kinds) : null;
    return all.filter((row) => row.recipient === q.recipient && row.at >= lo && row.at < hi
                      && (!kinds || kinds.has(row.kind)));
  }

  // The rows of a `range` query (see the top of this file), as objects,
  // arriving events included (read at once with the stored ones, in one transaction).
  async rangeOf(q) {
    const tx = this.db.transaction(["events", ...arriving.storesOf(this.db)], "readonly");
    const [late, stored] = await Promise.all([this.arrivingIn(q, tx), this.storedRange(q, tx)]);
    return arriving.merge(stored, late, q.newestFirst, q.limit);
  }

  // `rangeOf` over "events" alone, in `tx`.
  async storedRange(q, tx) {
    const store = tx.objectStore("events");
    const kinds = q.kinds && q.kinds.length ? q.kinds : null;
    if (kinds && kinds.length > 1) {
      // Several kinds: each kind's own range of by_recipient_kind_at, merged by
      // time (then id, the index's order), instead of reading every kind of
      // the recipient and dropping most (the plan's 2 kinds among 100,000 rows).
      const parts = await Promise.all([...new Set(kinds)].map((kind) => this.rangeRows(
        store.index("by_recipient_kind_at"), { ...q, kinds: [kind] }, [q.recipient, kind])));
      let rows = parts.flat();
      rows.sort((a, b) => (a.at - b.at) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      if (q.newestFirst) rows.reverse();
      if (q.limit != null) rows = rows.slice(0, q.limit);
      return rows;
    }
    const lo = q.start ?? -Infinity;
    const hi = q.end ?? Infinity;
    let index, bounds, filter = null;
    if (kinds && kinds.length === 1) {
      index = store.index("by_recipient_kind_at");
      bounds = IDBKeyRange.bound([q.recipient, kinds[0], lo], [q.recipient, kinds[0], hi], false, true);
    } else {
      index = store.index("by_recipient_at");
      bounds = IDBKeyRange.bound([q.recipient, lo], [q.recipient, hi], false, true);
      if (kinds) filter = new Set(kinds);
    }
    let rows;
    if (!filter && !q.newestFirst) {
      rows = await request(index.getAll(bounds, q.limit ?? undefined));
    } else if (q.limit == null) {
      // No limit: one getAll beats walking a cursor (about 2.7x, bench/bench_idb.py).
      rows = await request(index.getAll(bounds));
      if (filter) rows = rows.filter((row) => filter.has(row.kind));
      if (q.newestFirst) rows.reverse();
    } else {
      rows = await new Promise((resolve, reject) => {
        const out = [];
        const req = index.openCursor(bounds, q.newestFirst ? "prev" : "next");
        req.onerror = () => reject(storageError(req.error, "reading failed"));
        req.onsuccess = () => {
          const cursor = req.result;
          if (!cursor || (q.limit != null && out.length >= q.limit)) return resolve(out);
          if (!filter || filter.has(cursor.value.kind)) out.push(cursor.value);
          cursor.continue();
        };
      });
    }
    return rows;
  }

  // The timeline's search: events of one recipient matching a query (kinds,
  // author, words in the payload's text, [start, end)), newest first, from at
  // most `limit` entries -> {"events": [...], "more": bool}. With words, the
  // word index answers (search.js). Else it reads the index range newest first
  // in time windows (one getAll each, a day, then 2, 4... days), so a page of
  // recent entries reads little. The filter runs here, so only matches cross to Python.
  // With `histories`, the matches come with the rest of their entries' events.
  async find(json) {
    const q = JSON.parse(json);
    const answer = q.words && q.words.length ? await findByTerms(this, q) : await this.findRows(q);
    // `histories`: with every other event of the entries found (the timeline folds them)
    if (q.histories) answer.events = await this.withHistories(answer.events);
    return JSON.stringify(answer);
  }

  // `find` without words: {"events": [...], "more": bool}.
  async findRows(q) {
    const kinds = q.kinds && q.kinds.length ? q.kinds : null;
    const single = kinds && kinds.length === 1;
    // a transaction per read: decrypting (the lock) awaits WebCrypto, which ends a transaction
    const index = (tx = this.db.transaction("events", "readonly")) => tx.objectStore("events")
      .index(single ? "by_recipient_kind_at" : "by_recipient_at");
    const key = single ? (at) => [q.recipient, kinds[0], at] : (at) => [q.recipient, at];
    const kindSet = kinds && !single ? new Set(kinds) : null;
    const author = q.author || null;
    const limit = q.limit ?? 50;
    const out = [];
    const entries = new Set();
    // newest first through `rows` (oldest first), each entry's events while fewer than `limit` entries -> more?
    const pick = (rows) => {
      for (let i = rows.length - 1; i >= 0; i -= 1) {
        const row = rows[i];
        if (kindSet && !kindSet.has(row.kind)) continue;
        if (author && String(row.author).toLowerCase() !== author) continue;
        if (!entries.has(row.entry)) {
          if (entries.size >= limit) return true;
          entries.add(row.entry);
        }
        out.push(row);
      }
      return false;
    };
    const span0 = { recipient: q.recipient, start: q.start ?? 0, end: q.end ?? 1e14, kinds: q.kinds };
    const whole = IDBKeyRange.bound(key(q.start ?? 0), key(q.end ?? 1e14), false, true);
    // the range's ends and the arriving events (arriving.js) in it, at once, in one transaction
    const first = this.db.transaction(["events", ...arriving.storesOf(this.db)], "readonly");
    const ends = index(first);
    // a date range: its count (keys only) sizes the first window to about a page of
    // rows, if they were spread evenly (older rows are slower to read than a day's worth)
    const [late, newest, oldest, count] = await Promise.all([this.arrivingIn(span0, first),
                                                             request(ends.openCursor(whole, "prev")),
                                                             request(ends.openCursor(whole, "next")),
                                                             q.start != null ? request(ends.count(whole)) : null]);
    if (late.length) {
      // pulled events still arriving fall in the range: the whole range at once, merged
      return { events: out, more: pick(await openRows(this, await this.rangeOf(span0))) };
    }
    if (!newest) return { events: [], more: false };
    const lo = oldest.value.at;
    let hi = newest.value.at + 1;
    let span = count ? Math.min(86400000, Math.max(3600000, Math.ceil(((hi - lo) * 1.5 * limit) / count)))
      : 86400000;
    let more = false;
    while (hi > lo && !more) {
      const from = Math.max(lo, hi - span);
      const slice = IDBKeyRange.bound(key(from), key(hi), false, true);
      more = pick(await openRows(this, await request(index().getAll(slice))));
      hi = from;
      span *= 2;
    }
    return { events: out, more: more || hi > lo };
  }

  // The events of a range (as `range`) and every other event of their entries
  // (edits and deletes stored elsewhere in time), each once: one call, one parse.
  // With `types`, only rows whose payload's type is one of them (vitals of a
  // trend rule) are taken from the range, before their histories are added.
  async histories(json) {
    const q = JSON.parse(json);
    let rows = await this.rangeOf(q);
    if (q.types && q.types.length) {
      rows = await openRows(this, rows); // the type is inside a sealed payload
      const types = new Set(q.types);
      rows = rows.filter((row) => row.payload && types.has(row.payload.type));
    }
    return JSON.stringify(await this.withHistories(rows));
  }

  // Events of one recipient recorded after the clock stamp `after` (the by_hlc
  // index, whatever their time), and every other event of their entries:
  // home's "since you last looked" reads what changed, not days of entries.
  async recordedSince(json) {
    const q = JSON.parse(json);
    const tx = this.db.transaction(["events", ...arriving.storesOf(this.db)], "readonly");
    const late = await arriving.rows(this, tx);
    const all = arriving.plus(
      await request(tx.objectStore("events").index("by_hlc").getAll(IDBKeyRange.lowerBound(q.after, true))),
      late.filter((row) => row.hlc > q.after));
    return JSON.stringify(await this.withHistories(all.filter((row) => row.recipient === q.recipient)));
  }

  // `rows` and the other events of their entries, each once.
  // Arriving events (arriving.js) of those entries are taken too (an arriving
  // edit is not yet in "revised": its entry is read whole for it here).
  async withHistories(rows) {
    const seen = new Set(rows.map((row) => row.id));
    const entries = [...new Set(rows.map((row) => row.entry))];
    const tx = this.db.transaction(["events", ...revisions.storesOf(this.db), ...arriving.storesOf(this.db)],
                                   "readonly");
    const wanted = new Set(entries);
    const lateRevised = new Set(); // entries with an arriving revision: "revised" has them once arranged
    for (const row of await arriving.rows(this, tx)) {
      if (!wanted.has(row.entry)) continue;
      if (row.id !== row.entry) lateRevised.add(row.entry);
      if (!seen.has(row.id)) { seen.add(row.id); rows.push(row); }
    }
    const index = tx.objectStore("events").index("by_entry");
    // Most entries have only their create event: one read of the entries that
    // have revisions (revisions.js) picks the few to read whole.
    const revised = await revisions.revisedEntries(tx);
    const more = revised ? entries.filter((id) => revised.has(id) || lateRevised.has(id))
      : await this.moreByCount(index, rows, entries);
    const extra = await Promise.all(more.map((id) => request(index.getAll(id))));
    for (const row of extra.flat()) {
      if (!seen.has(row.id)) { seen.add(row.id); rows.push(row); }
    }
    return openRows(this, rows); // decrypted when the lock is on
  }

  // The entries with events beyond `rows`, by a count per entry (a database
  // opened at a version before "revised").
  async moreByCount(index, rows, entries) {
    const counts = await Promise.all(entries.map((id) => request(index.count(id))));
    const inRange = new Map();
    for (const row of rows) inRange.set(row.entry, (inRange.get(row.entry) || 0) + 1);
    return entries.filter((id, i) => counts[i] > inRange.get(id));
  }

  // Rows of one index range [prefix + start, prefix + end), oldest first; with a
  // limit, the `limit` newest (newestFirst) or oldest ones.
  async rangeRows(index, q, prefix) {
    const lo = q.start ?? -Infinity;
    const hi = q.end ?? Infinity;
    const bounds = IDBKeyRange.bound([...prefix, lo], [...prefix, hi], false, true);
    if (q.limit == null || !q.newestFirst) return request(index.getAll(bounds, q.limit ?? undefined));
    const rows = await new Promise((resolve, reject) => {
      const out = [];
      const req = index.openCursor(bounds, "prev");
      req.onerror = () => reject(storageError(req.error, "reading failed"));
      req.onsuccess = () => {
        const cursor = req.result;
        if (!cursor || out.length >= q.limit) return resolve(out);
        out.push(cursor.value);
        cursor.continue();
      };
    });
    return rows.reverse();
  }

  async ofEntries(json) {
    const ids = JSON.parse(json);
    const tx = this.db.transaction(["events", ...arriving.storesOf(this.db)], "readonly");
    const wanted = new Set(ids);
    const late = (await arriving.rows(this, tx)).filter((row) => wanted.has(row.entry));
    const index = tx.objectStore("events").index("by_entry");
    const groups = await Promise.all(ids.map((id) => request(index.getAll(id))));
    return JSON.stringify(await openRows(this, arriving.plus(groups.flat(), late)));
  }

  async ofKind(kind) {
    const tx = this.db.transaction(["events", ...arriving.storesOf(this.db)], "readonly");
    const late = (await arriving.rows(this, tx)).filter((row) => row.kind === kind);
    const rows = await request(tx.objectStore("events").index("by_kind").getAll(kind));
    return JSON.stringify(await openRows(this, arriving.plus(rows, late)));
  }

  async latestHlc() {
    const tx = this.db.transaction(["events", ...arriving.storesOf(this.db)], "readonly");
    let newest;
    for (const row of await arriving.rows(this, tx)) if (row.hlc && (newest === undefined || row.hlc > newest)) newest = row.hlc;
    const req = tx.objectStore("events").index("by_hlc").openCursor(null, "prev");
    const cursor = await request(req);
    if (cursor && (newest === undefined || cursor.value.hlc > newest)) newest = cursor.value.hlc;
    return newest; // undefined reaches Python as None
  }

  // The change feed: up to `limit` events stored after position `after`,
  // oldest first, and the position of the last one -> {"events": [...], "last": n}.
  // A position of a pulled batch ({ids: [...]}, writeEvents) is never split: the
  // batch is taken whole while fewer than `limit` events were looked at, so a
  // call may return up to one batch more than `limit` (never fewer while more remain).
  // Arriving events (arriving.js) have their feed position but no row yet, so
  // for every device's events (a backup, a snapshot) every pack is arranged first.
  async eventsAfter(after, limit, device) {
    if (device == null) await arriving.drain(this); // one device's events: a pack's are another's, skipped unread
    const tx = this.db.transaction(["feed", "events"], "readonly");
    const feed = tx.objectStore("feed");
    const events = tx.objectStore("events");
    const range = IDBKeyRange.lowerBound(after, true);
    const [keys, values] = await Promise.all([request(feed.getAllKeys(range, limit)),
                                              request(feed.getAll(range, limit))]);
    const wanted = [];
    let last = after;
    let looked = 0;
    for (let i = 0; i < keys.length && looked < limit; i += 1) {
      const pairs = feedPairs(values[i]);
      looked += pairs.length;
      last = keys[i];
      // `device`: only that device's events (sync pushes only what it made)
      for (const [id, dev] of pairs) if (device == null || dev === null || dev === device) wanted.push(id);
    }
    // an event stored by another path while its pack waited has two positions: listed at the first
    const listed = new Set(wanted);
    if (listed.size < wanted.length) wanted.splice(0, wanted.length, ...listed);
    const rows = await Promise.all(wanted.map((id) => request(events.get(id))));
    const opened = await openRows(this, rows.filter((row) => row !== undefined));
    return JSON.stringify({ events: opened.filter((row) => device == null || row.device === device), last });
  }

  // Sync's push read, in one call however far the device's own events are:
  // up to `limit` records made by `device` stored after feed position `after`,
  // oldest first, each with its position. The feed is scanned in chunks of
  // [id, device] pairs, so other devices' events (pulled ones) are skipped here
  // without reading them (a pulled batch's position whole) -> {"records": [...], "positions": [...], "last": n},
  // `last` the last position looked at (that of the limit-th record when the
  // limit is reached, so nothing of this device's is ever stepped over).
  async recordsAfter(after, limit, device) {
    const CHUNK = 5000;
    const tx = this.db.transaction(["feed", "events"], "readonly");
    const feed = tx.objectStore("feed");
    const events = tx.objectStore("events");
    const ids = [];
    const positions = [];
    let last = after;
    while (ids.length < limit) {
      const range = IDBKeyRange.lowerBound(last, true);
      const [keys, values] = await Promise.all([request(feed.getAllKeys(range, CHUNK)),
                                                request(feed.getAll(range, CHUNK))]);
      let i = 0;
      for (; i < keys.length && ids.length < limit; i += 1) {
        const v = values[i];
        // a pulled batch: other devices' events, or this one's read back from the endpoint
        // (there already): nothing in it is to push
        if (v && v.ids) continue;
        // one event; a position written by the version 3 upgrade has no device: the row says whose it is
        const [[id, owner]] = feedPairs(v);
        if (owner === null || owner === device) {
          ids.push(id);
          positions.push(keys[i]);
        }
      }
      if (i > 0) last = keys[i - 1];
      if (keys.length < CHUNK) break;
    }
    const rows = await recordsOf(events, ids);
    const keep = rows.map((row) => row !== undefined);
    const opened = await openRows(this, rows.filter((row, i) => keep[i]));
    const kept = positions.filter((p, i) => keep[i]);
    const mine = opened.map((row) => row.device === device);
    return JSON.stringify({ records: opened.filter((row, i) => mine[i]),
                            positions: kept.filter((p, i) => mine[i]), last });
  }

  // Events pulled by sync and the sync state that records them (the
  // checkpoints) in ONE transaction, with durability "relaxed": committed once
  // handed to the operating system, not flushed to disk first. A power loss
  // can then lose the transaction, but whole: the events and the checkpoint
  // past them together, so the next run fetches those files again (docs/SYNC.md
  // section 6). New events get feed positions as in putEvents. -> new events
  async putPulled(eventsJson, settingsJson) {
    const plain = JSON.parse(eventsJson);
    const settings = JSON.parse(settingsJson);
    if (arriving.storesOf(this.db).length) return this.packPulled(plain, settings);
    return this.writeEvents(plain, settings, "relaxed", true);
  }

  // Several settings in one transaction (sync saves a segment's bytes and the
  // push state that names it together): {key: JSON-able value, ...}.
  async putSettings(json) {
    const rows = await this.sealedSettings(JSON.parse(json));
    const tx = this.db.transaction("settings", "readwrite", { durability: "strict" });
    putRows(tx, "settings", rows);
    await done(tx);
  }

  // A CryptoKey by name (undefined when none); `key` null deletes it.
  async getKey(name) {
    const tx = this.db.transaction("keys", "readonly");
    return request(tx.objectStore("keys").get(name));
  }

  async putKey(name, key) {
    const tx = this.db.transaction("keys", "readwrite", { durability: "strict" });
    if (key == null) tx.objectStore("keys").delete(name);
    else tx.objectStore("keys").put(key, name);
    await done(tx);
  }

  async getSetting(key) {
    const tx = this.db.transaction("settings", "readonly");
    const row = await request(tx.objectStore("settings").get(key));
    return row === undefined ? undefined : JSON.stringify(await openSetting(this, row));
  }

  async putSetting(key, json) {
    const row = await sealSetting(this, key, JSON.parse(json));
    const tx = this.db.transaction("settings", "readwrite", { durability: "strict" });
    tx.objectStore("settings").put(row);
    await done(tx);
  }
}

// Open (and if needed create or upgrade) a database. `version` is for tests
// that build an older schema; the app always opens DB_VERSION.
export function open(name, version = DB_VERSION) {
  const started = version === DB_VERSION && early.get(name);
  if (started) {  // boot.js began this open while the runtime downloaded: take it over
    early.delete(name);
    return started;
  }
  return new Promise((resolve, reject) => {
    let req;
    try {
      if (!globalThis.indexedDB) throw new Error("this browser has no IndexedDB");
      req = indexedDB.open(name, version);
    } catch (error) {
      reject(storageError(error, "storage is not available"));
      return;
    }
    req.onupgradeneeded = (event) => {
      const db = req.result;
      for (let v = event.oldVersion; v < version; v += 1) UPGRADES[v](db, req.transaction);
    };
    req.onblocked = () => {
      globalThis.dispatchEvent(new CustomEvent("carelog:db-blocked"));
    };
    req.onsuccess = () => {
      const database = new Database(req.result);
      // is the lock on? (then writes are sealed, and refused until unlocked)
      loadLock(database).then(() => resolve(database), (error) => reject(storageError(error, "storage is not available")));
    };
    req.onerror = () => reject(storageError(req.error, "storage is not available"));
  });
}

// boot.js opens the app's database while Python starts (the same open(), the same
// upgrades); the app's first open() of that name takes the request over. Its error,
// if any, reaches the app's open() (the catch here only keeps it from being unhandled).
const early = new Map();
export function openEarly(name) {
  if (early.has(name)) return;
  const started = open(name);
  started.catch(() => {});
  early.set(name, started);
}

globalThis.carelogIdb = { open, openEarly, DB_VERSION };
