/**
 * The set of store+item keys seen so far in one file, to count duplicates.
 *
 * Keeping every key as a string would cost ~100 bytes a row — 50 MB for half a million
 * rows, against a "memory stays flat" promise. Instead each key is reduced to a 64-bit
 * fingerprint in an open-addressing table of two Uint32Arrays: 16 bytes per distinct key
 * at most (table at most half full). Two different keys share a fingerprint with odds of
 * about n²/2⁶⁵ (one in ~70 million for a million distinct keys); the only effect would be
 * one duplicate too many in the report — what is written never depends on this set.
 */
export class SeenKeys {
  #high: Uint32Array;
  #low: Uint32Array;
  #size = 0;

  constructor(initialCapacity = 1 << 12) {
    const capacity = 2 ** Math.ceil(Math.log2(Math.max(initialCapacity, 16)));
    this.#high = new Uint32Array(capacity);
    this.#low = new Uint32Array(capacity);
  }

  get size(): number {
    return this.#size;
  }

  /** Records the key; true if it had been seen before. */
  addAndCheck(store: string, item: string): boolean {
    const [high, low] = fingerprint(store, item);
    if (this.#insert(high, low)) {
      this.#size += 1;
      if (this.#size * 2 > this.#high.length) this.#grow();
      return false;
    }
    return true;
  }

  /** True if inserted, false if present. (0, 0) marks an empty slot, so it is never a fingerprint. */
  #insert(high: number, low: number): boolean {
    const mask = this.#high.length - 1;
    let slot = low & mask;
    for (;;) {
      const h = this.#high[slot] ?? 0;
      const l = this.#low[slot] ?? 0;
      if (h === 0 && l === 0) {
        this.#high[slot] = high;
        this.#low[slot] = low;
        return true;
      }
      if (h === high && l === low) return false;
      slot = (slot + 1) & mask;
    }
  }

  #grow(): void {
    const oldHigh = this.#high;
    const oldLow = this.#low;
    this.#high = new Uint32Array(oldHigh.length * 2);
    this.#low = new Uint32Array(oldLow.length * 2);
    for (let slot = 0; slot < oldHigh.length; slot += 1) {
      const h = oldHigh[slot] ?? 0;
      const l = oldLow[slot] ?? 0;
      if (h !== 0 || l !== 0) this.#insert(h, l);
    }
  }
}

/**
 * Two independent 32-bit multiplicative hashes over the UTF-16 code units of
 * `<store length>:<store><item>` (the length prefix keeps ("ab","c") apart from ("a","bc")).
 */
function fingerprint(store: string, item: string): [number, number] {
  let h1 = 0xdeadbeef ^ store.length;
  let h2 = 0x41c6ce57 ^ store.length;
  const mix = (code: number): void => {
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  };
  for (let i = 0; i < store.length; i += 1) mix(store.charCodeAt(i));
  mix(0x3a);
  for (let i = 0; i < item.length; i += 1) mix(item.charCodeAt(i));
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const high = h2 >>> 0;
  const low = h1 >>> 0;
  return high === 0 && low === 0 ? [0, 1] : [high, low];
}
