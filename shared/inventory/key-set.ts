/**
 * Store+item keys reduced to 64-bit fingerprints (`keyFingerprint`), in an open-addressing
 * table of typed arrays, at most half full. THE key set of the import:
 * - the direct path and each range count a file's duplicates with it (8 bytes a slot: one
 *   16-byte fingerprint per distinct key at most). Keeping every key as a string would cost
 *   ~100 bytes a row — 50 MB for half a million rows, against a "memory stays flat" promise;
 * - the reconcile step finds with it the keys that appear in more than one range of a file
 *   (which the ranges, imported in parallel, cannot see), so the last occurrence can be
 *   written again after all ranges are done. Only a set that is given a range other than 0
 *   keeps, per slot, the last range and whether another range had the key (5 more bytes).
 *
 * Two different keys share a fingerprint with odds of about n²/2⁶⁵ (one in ~70 million for a
 * million distinct keys); the only effect would be one duplicate too many in the report, or
 * a key written again with the value it already has — what is written never depends on it.
 */
export class KeySet {
  #high: Uint32Array;
  #low: Uint32Array;
  /** Allocated on the first range other than 0: until then every key's last range is 0. */
  #ranges: { last: Int32Array; shared: Uint8Array } | undefined;
  #size = 0;

  constructor(initialCapacity = 1 << 12) {
    const capacity = 2 ** Math.ceil(Math.log2(Math.max(initialCapacity, 16)));
    this.#high = new Uint32Array(capacity);
    this.#low = new Uint32Array(capacity);
  }

  get size(): number {
    return this.#size;
  }

  /**
   * Records that `range` holds the key. Returns 'new' for a key never seen, 'same' when this
   * range already recorded it, 'earlier' when an earlier range did (a cross-range duplicate).
   */
  add(high: number, low: number, range = 0): 'new' | 'same' | 'earlier' {
    if (range !== 0) this.#ranges ??= rangeSlots(this.#high.length);
    const slot = this.#find(high, low);
    if (this.#isEmpty(slot)) {
      this.#high[slot] = high;
      this.#low[slot] = low;
      if (this.#ranges) this.#ranges.last[slot] = range;
      this.#size += 1;
      if (this.#size * 2 > this.#high.length) this.#grow();
      return 'new';
    }
    if (!this.#ranges || this.#ranges.last[slot] === range) return 'same';
    this.#ranges.last[slot] = range;
    this.#ranges.shared[slot] = 1;
    return 'earlier';
  }

  has(high: number, low: number): boolean {
    return !this.#isEmpty(this.#find(high, low));
  }

  /** Every key in the set, as a list to store (the direct import's part, when it hands off the rest). */
  toList(): FingerprintList {
    const list = new FingerprintList();
    for (let slot = 0; slot < this.#high.length; slot += 1) {
      if (!this.#isEmpty(slot)) list.push(this.#high[slot] ?? 0, this.#low[slot] ?? 0);
    }
    return list;
  }

  /** Every key seen in more than one range, with the last range it was seen in. */
  *sharedKeys(): Generator<{ high: number; low: number; lastRange: number }> {
    const ranges = this.#ranges;
    if (!ranges) return;
    for (let slot = 0; slot < this.#high.length; slot += 1) {
      if (ranges.shared[slot] === 1) {
        yield { high: this.#high[slot] ?? 0, low: this.#low[slot] ?? 0, lastRange: ranges.last[slot] ?? 0 };
      }
    }
  }

  #isEmpty(slot: number): boolean {
    return this.#high[slot] === 0 && this.#low[slot] === 0;
  }

  #find(high: number, low: number): number {
    const mask = this.#high.length - 1;
    let slot = low & mask;
    while (!this.#isEmpty(slot) && !(this.#high[slot] === high && this.#low[slot] === low)) {
      slot = (slot + 1) & mask;
    }
    return slot;
  }

  #grow(): void {
    const [high, low, ranges] = [this.#high, this.#low, this.#ranges];
    const capacity = high.length * 2;
    this.#high = new Uint32Array(capacity);
    this.#low = new Uint32Array(capacity);
    this.#ranges = ranges ? rangeSlots(capacity) : undefined;
    for (let old = 0; old < high.length; old += 1) {
      const h = high[old] ?? 0;
      const l = low[old] ?? 0;
      if (h === 0 && l === 0) continue;
      const slot = this.#find(h, l);
      this.#high[slot] = h;
      this.#low[slot] = l;
      if (ranges && this.#ranges) {
        this.#ranges.last[slot] = ranges.last[old] ?? 0;
        this.#ranges.shared[slot] = ranges.shared[old] ?? 0;
      }
    }
  }
}

const rangeSlots = (capacity: number): { last: Int32Array; shared: Uint8Array } => ({
  last: new Int32Array(capacity),
  shared: new Uint8Array(capacity),
});

/**
 * A 64-bit fingerprint of a store+item key, as two 32-bit halves (never both 0: that marks
 * an empty slot). Two multiplicative hashes over the UTF-16 code units of
 * `<store length>:<store><item>`, so ("ab","c") and ("a","bc") differ.
 */
export function keyFingerprint(store: string, item: string): [number, number] {
  let h1 = 0x9e3779b9 ^ store.length;
  let h2 = 0x85ebca6b ^ store.length;
  const mix = (code: number): void => {
    h1 = Math.imul(h1 ^ code, 0x01000193);
    h2 = Math.imul(h2 ^ code, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  };
  for (let i = 0; i < store.length; i += 1) mix(store.charCodeAt(i));
  mix(0x3a);
  for (let i = 0; i < item.length; i += 1) mix(item.charCodeAt(i));
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b) ^ Math.imul(h2 ^ (h2 >>> 13), 0xc2b2ae35);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 0x27d4eb2f) ^ Math.imul(h1 ^ (h1 >>> 15), 0x165667b1);
  const high = h1 >>> 0;
  const low = h2 >>> 0;
  return high === 0 && low === 0 ? [0, 1] : [high, low];
}

/** Fingerprints as bytes (little-endian pairs), for an S3 part. */
export function encodeFingerprints(high: Uint32Array, low: Uint32Array, count: number): Buffer {
  const out = Buffer.allocUnsafe(count * 8);
  for (let i = 0; i < count; i += 1) {
    out.writeUInt32LE(high[i] ?? 0, i * 8);
    out.writeUInt32LE(low[i] ?? 0, i * 8 + 4);
  }
  return out;
}

export function* decodeFingerprints(bytes: Uint8Array): Generator<[number, number]> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0; at + 8 <= bytes.byteLength; at += 8) {
    yield [view.getUint32(at, true), view.getUint32(at + 4, true)];
  }
}

/** A growable list of fingerprints (two parallel typed arrays). */
export class FingerprintList {
  high = new Uint32Array(1024);
  low = new Uint32Array(1024);
  length = 0;

  push(high: number, low: number): void {
    if (this.length === this.high.length) {
      const grownHigh = new Uint32Array(this.high.length * 2);
      const grownLow = new Uint32Array(this.low.length * 2);
      grownHigh.set(this.high);
      grownLow.set(this.low);
      this.high = grownHigh;
      this.low = grownLow;
    }
    this.high[this.length] = high;
    this.low[this.length] = low;
    this.length += 1;
  }

  toBytes(): Buffer {
    return encodeFingerprints(this.high, this.low, this.length);
  }
}
