// carelog "revised": which entries have more than their first event.
//
// One row per entry that has an edit, a delete or any event other than its
// create (key: the entry id, value: true). An event is a revision when its id
// is not its entry's id (a create is its own entry); both fields stay in clear
// when the lock seals records, so this works sealed too (vault.js).
//
// The store is made and filled by idb.js's schema step (UPGRADES).
// Readers of whole histories (idb.js `withHistories`: the visit report, the
// charts' days, home) read the keys once instead of asking the by_entry index
// for a count per entry. The set may hold more than needed (an entry whose
// revisions all lie in the range read), never less: an entry in it is read
// whole, and rows already read are kept once.

import { request } from "./vault.js";

export const STORE = "revised";

// The stores a write transaction needs for this (none before the schema step).
export function storesOf(idb) {
  return idb.objectStoreNames.contains(STORE) ? [STORE] : [];
}

// Inside a write transaction that includes STORE: note a new event's entry.
export function noteRecord(tx, record) {
  if (record.id !== record.entry && tx.objectStoreNames.contains(STORE)) tx.objectStore(STORE).put(true, record.entry);
}

// The entries with revisions, as a Set, read in `tx` (which includes STORE);
// null when the database has no STORE (opened at an older version).
export function revisedEntries(tx) {
  if (!tx.objectStoreNames.contains(STORE)) return Promise.resolve(null);
  return request(tx.objectStore(STORE).getAllKeys()).then((keys) => new Set(keys));
}
