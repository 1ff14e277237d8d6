/**
 * The memory a source image is read into, kept for the next image instead of dropped.
 *
 * A photo read into a fresh buffer is 5–25 MB of new memory outside V8's heap for every
 * image. V8 counts such memory towards its next full garbage collection, and with the
 * small heap of a function like this one it starts a full collection after almost every
 * photo: the images benchmark measured 13–44 ms of garbage collection per 12 MP photo,
 * against about 2 ms for raw sharp on buffers it already holds. Reusing the buffer of the
 * previous image (the biggest one seen so far) takes that away, and the pages it touches
 * are already mapped.
 *
 * One spare buffer, not a pool: an instance handles one record at a time. Whoever takes a
 * buffer gives it back only when nothing reads it any more (sharp has finished with it);
 * a second taker meanwhile (the local cloud runs concurrent invocations of one function in
 * one process) gets a new buffer, so two images never share memory.
 */
export class InputBuffers {
  #spare: Buffer | undefined;
  readonly #lent = new WeakSet<ArrayBufferLike>();

  /** A buffer of at least `size` bytes, with whatever it held before. */
  take(size: number): Buffer {
    const spare = this.#spare;
    let buffer: Buffer;
    if (spare !== undefined && spare.length >= size) {
      this.#spare = undefined;
      buffer = spare;
    } else {
      buffer = Buffer.allocUnsafeSlow(size);
    }
    this.#lent.add(buffer.buffer);
    return buffer;
  }

  /**
   * Gives back a buffer from `take`, or a view of one, ONCE, when nothing reads it any more:
   * it becomes the spare if it is bigger than the current spare. Memory that is not lent
   * (never taken, or already given back) is ignored.
   */
  give(view: Buffer): void {
    const memory = view.buffer;
    if (!this.#lent.delete(memory)) return;
    if (this.#spare === undefined || memory.byteLength > this.#spare.length) {
      this.#spare = Buffer.from(memory, 0, memory.byteLength);
    }
  }

  /** Bytes held for the next image (0 when none, or while it is lent). */
  get spareBytes(): number {
    return this.#spare?.length ?? 0;
  }
}
