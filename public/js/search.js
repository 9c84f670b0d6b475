// carelog word search over the "terms" index (terms.js): the timeline's
// search when the query has words (Database.find in idb.js calls it).
//
// Of the query's words, the one whose term has the fewest events in the
// range leads. Its index range [term, start..end) is read newest first in
// time windows, keys only (getAllKeys: event ids in time order);
// the first window is sized to hold about two pages of that term's events,
// then each window doubles. Only those events are read, opened (the lock),
// and checked against the whole query: kinds, caregiver and every word (the
// index finds candidates; the check decides). A rare word reads a handful of
// events, whatever the size of the log. (The index holds every recipient's
// events: the other recipients' are dropped here.)
// Pulled events whose words are not indexed yet (wordqueue.js), or that are
// still arriving (arriving.js), are read whole and checked the same way, and
// their matches merged into the windows.

import { matches, payloadWords, queryTerm, queryWords, storedTerm } from "./terms.js";
import { openRows, request } from "./vault.js";
import { pendingRows } from "./wordqueue.js";
import * as arriving from "./arriving.js";

// -> {events: [...], more: bool}, as Database.find.
export async function findByTerms(database, q) {
  if (database.termsReady) await database.termsReady; // sealed events still being indexed after unlock
  const db = database.db;
  const words = queryWords(q.words);
  const kinds = q.kinds && q.kinds.length ? new Set(q.kinds) : null;
  const author = q.author || null;
  const limit = q.limit ?? 50;
  const start = q.start ?? 0;
  const end = q.end ?? 1e14;
  const terms = await Promise.all(words.map((w) => storedTerm(database, queryTerm(w))));
  if (!terms.length) return { events: [], more: false };
  const keep = (row) => row.recipient === q.recipient && (!kinds || kinds.has(row.kind))
    && (!author || String(row.author).toLowerCase() === author) && matches(payloadWords(row.payload), words);
  // pulled events not indexed yet: the arriving ones first, then the queue, then the index (one
  // arranged or indexed meanwhile is in two of them, kept once; never in none)
  const inRange = (row) => row.recipient === q.recipient && row.at >= start && row.at < end;
  const arrived = await openRows(database, await database.arrivingIn({ recipient: q.recipient, start, end }));
  const late = arriving.plus(await pendingRows(database), arrived).filter((row) => inRange(row) && keep(row));
  const lateIds = new Set(late.map((row) => row.id));
  const range = (term, lo, hi) => IDBKeyRange.bound([term, lo], [term, hi], false, true);
  const index = () => db.transaction("terms", "readonly").objectStore("terms").index("by_term");

  const first = index();
  const counts = await Promise.all(terms.map((term) => request(first.count(range(term, start, end)))));
  let lead = 0;
  counts.forEach((count, i) => { if (count < counts[lead]) lead = i; });
  if (counts[lead] === 0 && !late.length) return { events: [], more: false };
  const term = terms[lead];
  const [newest, oldest] = await Promise.all([request(first.openKeyCursor(range(term, start, end), "prev")),
                                              request(first.openKeyCursor(range(term, start, end), "next"))]);
  let lo = oldest ? oldest.key[1] : Infinity;
  let hi = newest ? newest.key[1] + 1 : -Infinity;
  for (const row of late) { lo = Math.min(lo, row.at); hi = Math.max(hi, row.at + 1); }
  const count = counts[lead] + late.length;
  // about two pages of the lead term's events in the first window, if they were spread evenly
  let span = Math.max(3600000, Math.ceil(((hi - lo) * Math.min(1, (2 * limit) / count))));
  const out = [];
  const entries = new Set();
  let more = false;
  while (hi > lo && !more) {
    const from = Math.max(lo, hi - span);
    const tx = db.transaction(["terms", "events"], "readonly");
    const ids = await request(tx.objectStore("terms").index("by_term").getAllKeys(range(term, from, hi)));
    const store = tx.objectStore("events");
    const stored = await Promise.all(ids.map((id) => request(store.get(id))));
    let rows = await openRows(database, stored.filter((row) => row !== undefined && !lateIds.has(row.id)));
    rows = rows.filter(keep);
    const inWindow = late.filter((row) => row.at >= from && row.at < hi);
    if (inWindow.length) {
      // in the index's order: time, then id
      rows = rows.concat(inWindow).sort((a, b) => (a.at - b.at) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    }
    for (let i = rows.length - 1; i >= 0; i -= 1) {
      const row = rows[i];
      if (!entries.has(row.entry)) {
        if (entries.size >= limit) { more = true; break; }
        entries.add(row.entry);
      }
      out.push(row);
    }
    hi = from;
    span *= 2;
  }
  return { events: out, more: more || hi > lo };
}
