// carelog search terms: the word index behind the timeline's search.
//
// Every stored event has one row in the "terms" object store (idb.js, schema
// step 3 -> 4): {id, t: [[term, at], ...]}, with a multiEntry index "by_term"
// on t. A search reads the keys of one term's range (term, time), newest
// first, and only then the events themselves (search.js), keeping those of
// its recipient. (No recipient in the key: every index entry is smaller, and
// writes are what the index costs.)
//
// Words: every text and number of a payload (3 levels deep, as the search has
// always read them), lower-cased, accents dropped (NFKD, combining marks
// removed: "Café" -> "cafe"), split at anything that is not a letter or digit.
// Matching: a word shorter than MIN_PREFIX characters or with a digit in it
// ("bp", "120", "3am", "85354") is matched whole; any other word by its start,
// with a search word of MIN_PREFIX or more characters ("amb" finds
// "ambulance"; "bp" finds "BP", not "bpm"; "12" finds "12", not "120").
// Terms of a word: a whole-matched word itself, else its prefixes of the
// LENGTHS it has (3, 5, 8, 12 characters). A search word is looked up by its
// longest prefix among LENGTHS (the candidates are then checked in full).
// The same rules in Python: py/carelog/domain/search_words.py.
//
// With the lock on (vault.js) no word is stored in clear: each term is stored
// as a keyed token, HMAC-SHA256 under the term key (HKDF from the data key,
// memory only while unlocked), its first 9 bytes in base64. The tokens of a
// row are sorted, so their order says nothing about the order of the words.

export const MIN_PREFIX = 3;
export const LENGTHS = [3, 5, 8, 12]; // the prefixes stored
export const MAX_PREFIX = LENGTHS[LENGTHS.length - 1];
export const PENDING = ["pending"]; // the one key of a sealed event indexed at the next unlock (never a [term, at])
const MAX_DEPTH = 3;
const TOKEN_BYTES = 9;
const CACHE_MAX = 200000;
const encoder = new TextEncoder();

// Lower case, accents dropped.
export function fold(text) {
  return String(text).toLowerCase().normalize("NFKD").replace(/\p{M}+/gu, "");
}

// The words of a text, folded, in order.
export function wordsOf(text) {
  return fold(text).split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}

// Short texts repeat (a medicine's name, "500 mg", "pulse", a reading): their
// words are kept, so a batch of thousands of events folds each once.
const SHORT = 40;
const REPEAT_MAX = 20000;
const repeated = new Map(); // a short text's words
const wordTerms = new Map(); // a word's terms (words repeat across events)

// `make(key)`, kept in `memo` (emptied when it reaches REPEAT_MAX entries).
function kept(memo, key, make) {
  let value = memo.get(key);
  if (value === undefined) {
    if (memo.size >= REPEAT_MAX) memo.clear();
    value = make(key);
    memo.set(key, value);
  }
  return value;
}

function wordsOfValue(text) {
  return text.length > SHORT ? wordsOf(text) : kept(repeated, text, wordsOf);
}

function collect(value, depth, out) {
  if (typeof value === "string" || typeof value === "number") {
    for (const word of wordsOfValue(String(value))) out.add(word);
    return;
  }
  if (value === null || typeof value !== "object" || depth >= MAX_DEPTH) return;
  for (const v of Array.isArray(value) ? value : Object.values(value)) collect(v, depth + 1, out);
}

// The distinct words of a payload (a Set).
export function payloadWords(payload) {
  const out = new Set();
  collect(payload, 0, out);
  return out;
}

const DIGIT = /\p{N}/u;

// Is a (stored or searched) word matched whole?
function whole(word) {
  return DIGIT.test(word) || Array.from(word).length < MIN_PREFIX;
}

// The term a search word is looked up by.
export function queryTerm(word) {
  if (whole(word)) return word;
  const chars = Array.from(word);
  const n = LENGTHS.filter((len) => len <= chars.length).pop();
  return chars.slice(0, n).join("");
}

// The index terms of a set of words (a Set).
export function termsOfWords(words) {
  const out = new Set();
  for (const word of words) {
    for (const term of kept(wordTerms, word, termsOfWord)) out.add(term);
  }
  return out;
}

function termsOfWord(word) {
  if (whole(word)) return [word];
  const chars = Array.from(word);
  return LENGTHS.filter((n) => n <= chars.length).map((n) => chars.slice(0, n).join(""));
}

// The search words of a query (folded, split as stored text is, each once).
export function queryWords(words) {
  return [...new Set((words || []).flatMap((w) => wordsOf(w)))];
}

// Does a payload's word set hold every search word (see the top of this file)?
export function matches(words, query) {
  const list = [...words];
  return query.every((q) => (whole(q) ? words.has(q) : list.some((w) => !whole(w) && w.startsWith(q))));
}

function locked() {
  const error = new Error("carelog is locked: unlock it with the passphrase first");
  error.name = "LockedError";
  return error;
}

function base64(buffer) {
  return btoa(String.fromCharCode(...new Uint8Array(buffer, 0, TOKEN_BYTES)));
}

// A term as stored: itself, or its keyed token when the lock is on (a promise).
// Tokens are kept in memory per term key (vault.js drops them when it locks).
export function storedTerm(db, term) {
  if (!db.lockOn) return term;
  if (!db.termKey) throw locked();
  let cache = db.termCache;
  if (!cache || cache.key !== db.termKey || cache.map.size > CACHE_MAX) {
    cache = db.termCache = { key: db.termKey, map: new Map() };
  }
  let token = cache.map.get(term);
  if (token === undefined) {
    token = crypto.subtle.sign("HMAC", db.termKey, encoder.encode(term)).then(base64);
    cache.map.set(term, token);
  }
  return token;
}

// The "terms" row of one clear event record (no lock).
export function clearTermRow(record) {
  const terms = termsOfWords(payloadWords(record.payload));
  return { id: record.id, t: [...terms].map((term) => [term, record.at]) };
}

// The "terms" rows of event records (in clear, before sealing), same order:
// with the lock on, keyed tokens (the term key must be there: unlocked).
export async function termRows(db, records) {
  if (!db.lockOn) return records.map(clearTermRow);
  if (!db.termKey) throw locked();
  return Promise.all(records.map(async (record) => {
    const terms = termsOfWords(payloadWords(record.payload));
    const tokens = [...new Set(await Promise.all([...terms].map((term) => storedTerm(db, term))))].sort();
    return { id: record.id, t: tokens.map((token) => [token, record.at]) };
  }));
}

globalThis.carelogTerms = { wordsOf, payloadWords, termsOfWords, queryTerm, queryWords, matches, clearTermRow,
                            MIN_PREFIX, LENGTHS };
