// JS half of bench/bench_idb.py: the pure-JS IndexedDB baseline.
// bench_idb.py evaluates this expression in the carelog page; it defines
// globalThis.benchJs (with the request/done helpers of the app's js/vault.js).
// Records come from globalThis.benchRecordsJson (written by bench/idb_page.py
// from the same Event objects) and are parsed to JS objects OUTSIDE the timed
// spans. The schema is written out here (not taken from the app) and
// bench_idb.py checks it equals the app's database schema.
(async () => {
  // The app's own promise wrappers for a request and a transaction.
  const { request, done } = await import(new URL("js/vault.js", location.href).href);
  const VERSION = globalThis.carelogIdb.DB_VERSION; // the app's schema (public/js/idb.js)

  // schema "v1" (reference only): the first release's two indexes.
  function createSchema(db, schema) {
    const events = db.createObjectStore("events", { keyPath: "id" });
    events.createIndex("by_recipient_at", ["recipient", "at"]);
    events.createIndex("by_entry", "entry");
    if (schema === "v1") { db.createObjectStore("settings", { keyPath: "key" }); return; }
    events.createIndex("by_recipient_kind_at", ["recipient", "kind", "at"]);
    events.createIndex("by_kind", "kind");
    events.createIndex("by_hlc", "hlc");
    db.createObjectStore("settings", { keyPath: "key" });
    db.createObjectStore("keys"); // schema 3: the sync feed and the key store (unused by the baseline)
    db.createObjectStore("feed", { autoIncrement: true });
    // schema 4: the search's word index (public/js/terms.js)
    db.createObjectStore("terms", { keyPath: "id" }).createIndex("by_term", "t", { multiEntry: true });
    db.createObjectStore("vital_days"); // schema 5: the charts' cache (unused by the baseline)
    db.createObjectStore("revised"); // schema 6: entries with revisions (unused by the baseline)
  }

  function open(name, withSchema = true, schema = "full") {
    return new Promise((resolve, reject) => {
      const req = withSchema ? indexedDB.open(name, VERSION) : indexedDB.open(name);
      req.onupgradeneeded = () => { if (withSchema) createSchema(req.result, schema); };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
      req.onblocked = () => reject(new Error(`open ${name}: blocked`));
    });
  }

  const handles = new Map();
  async function handle(name, schema = "full") {
    if (!handles.has(name)) handles.set(name, await open(name, true, schema));
    return handles.get(name);
  }
  function close(name) {
    const db = handles.get(name);
    if (db) { db.close(); handles.delete(name); }
  }
  const records = (n) => JSON.parse(globalThis.benchRecordsJson).slice(0, n);

  globalThis.benchJs = {
    async deleteDb(name) {
      close(name);
      await new Promise((resolve, reject) => {
        const req = indexedDB.deleteDatabase(name);
        req.onsuccess = () => resolve();
        req.onerror = () => reject(req.error);
        req.onblocked = () => reject(new Error(`delete ${name}: blocked (a connection is still open)`));
      });
    },

    // Stores and indexes of a database, as comparable JSON.
    async schemaOf(name) {
      const db = await open(name, false);
      const out = { version: db.version, stores: {} };
      const names = Array.from(db.objectStoreNames).sort();
      const tx = db.transaction(names, "readonly");
      for (const s of names) {
        const store = tx.objectStore(s);
        const indexes = {};
        for (const i of Array.from(store.indexNames).sort()) {
          const ix = store.index(i);
          indexes[i] = { keyPath: ix.keyPath, unique: ix.unique, multiEntry: ix.multiEntry };
        }
        out.stores[s] = { keyPath: store.keyPath, autoIncrement: store.autoIncrement, indexes };
      }
      db.close();
      return JSON.stringify(out);
    },

    // (2) n records (JS objects) in one readwrite transaction.
    // With `withTerms`, each event's word index row too (computed by terms.js
    // inside the timed span, written in the same transaction): what the index costs.
    async bulkWrite(name, n, durability, schema = "full", withTerms = false) {
      await this.deleteDb(name);
      const rows = records(n);
      const db = await handle(name, schema);
      const t0 = performance.now();
      const tx = db.transaction(withTerms ? ["events", "terms"] : "events", "readwrite", { durability });
      const store = tx.objectStore("events");
      for (const row of rows) store.add(row);
      if (withTerms) for (const row of rows) tx.objectStore("terms").put(carelogTerms.clearTermRow(row));
      await done(tx);
      const ms = performance.now() - t0;
      close(name);
      return JSON.stringify({ ms });
    },

    // (3) rows of the by_recipient_at index in [lo, hi): getAll, or a cursor
    // walking backwards (the app's newest-first path).
    async rangeRead(name, recipient, lo, hi, newestFirst) {
      const db = await handle(name);
      const t0 = performance.now();
      const tx = db.transaction("events", "readonly");
      const index = tx.objectStore("events").index("by_recipient_at");
      const bounds = IDBKeyRange.bound([recipient, lo], [recipient, hi], false, true);
      let rows;
      if (!newestFirst) {
        rows = await request(index.getAll(bounds));
      } else {
        rows = await new Promise((resolve, reject) => {
          const out = [];
          const req = index.openCursor(bounds, "prev");
          req.onerror = () => reject(req.error);
          req.onsuccess = () => {
            const cursor = req.result;
            if (!cursor) return resolve(out);
            out.push(cursor.value);
            cursor.continue();
          };
        });
      }
      const ms = performance.now() - t0;
      return JSON.stringify({ ms, rows: rows.length });
    },

    // (4) n records, one readwrite transaction each, awaited one after another.
    async perRecord(name, n, durability) {
      await this.deleteDb(name);
      const rows = records(n).map((r) => ({ ...r, id: "p" + r.id.slice(1), entry: "p" + r.entry.slice(1) }));
      const db = await handle(name);
      const t0 = performance.now();
      for (const row of rows) {
        const tx = db.transaction("events", "readwrite", { durability });
        tx.objectStore("events").add(row);
        await done(tx);
      }
      const ms = performance.now() - t0;
      close(name);
      return JSON.stringify({ ms, per_record_ms: ms / n });
    },

    close,
  };
  return "ok";
})()
