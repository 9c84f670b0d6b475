// carelog idle-time starts: background work (arriving.js, wordqueue.js) begins
// `delay` ms from now, in the page's idle time. One pending start per owner
// and key: a later call pushes the start back (a pull's next batch, say).

export function startInIdleTime(owner, key, delay, fn) {
  if (owner[key]) clearTimeout(owner[key]);
  owner[key] = setTimeout(() => {
    owner[key] = null;
    const idle = globalThis.requestIdleCallback || ((next) => setTimeout(next, 0));
    idle(fn);
  }, delay);
}
