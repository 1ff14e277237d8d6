import type { FileHandle } from 'node:fs/promises';
import { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';

/**
 * How much of an object file is read at a time. s3rver's own reads are fs streams' default
 * 64 KiB: about 170 reads, buffers and socket writes for an 11 MB photo.
 */
export const READ_CHUNK_BYTES = 1024 * 1024;

/**
 * Read buffers, used again once the socket has taken their bytes. A GetObject of an 11 MB
 * photo would otherwise allocate 11 MB of new memory outside V8's heap, which V8 counts
 * towards its next full garbage collection: with the local cloud's heap, that was one full
 * collection (about 25 ms of CPU) per large GetObject, on the same cores as the functions.
 */
export class ReadBuffers {
  readonly #free: Buffer[] = [];

  constructor(
    readonly bufferBytes = READ_CHUNK_BYTES,
    /** Buffers kept for reuse; more may be lent at once (they are then dropped when given back). */
    readonly keep = 8,
  ) {}

  take(): Buffer {
    return this.#free.pop() ?? Buffer.allocUnsafeSlow(this.bufferBytes);
  }

  give(buffer: Buffer): void {
    if (this.#free.length < this.keep) this.#free.push(buffer);
  }
}

/**
 * The body of a GetObject: bytes `start`–`end` (inclusive) of an open object file.
 *
 * Piped into an HTTP response (what s3rver does with it), it writes the file through
 * `ReadBuffers`: a buffer goes back to the pool only in the write's callback, i.e. once the
 * socket no longer holds it, so no response ever sends bytes meant for another. Read any
 * other way (`pipe` into another stream, `for await`), it is an ordinary stream of fresh
 * buffers: a stream downstream may keep a chunk as long as it likes.
 *
 * It owns the file handle and closes it when done, destroyed or never read.
 */
export class ObjectContent extends Readable {
  readonly #file: FileHandle;
  readonly #end: number;
  readonly #buffers: ReadBuffers;
  #position: number;
  #pumping = false;
  #closed: Promise<void> | undefined;

  constructor(file: FileHandle, range: { start: number; end: number }, buffers: ReadBuffers) {
    super({ highWaterMark: buffers.bufferBytes });
    this.#file = file;
    this.#position = range.start;
    this.#end = range.end;
    this.#buffers = buffers;
  }

  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    if (!(destination instanceof ServerResponse) || this.#pumping || this.readableDidRead) {
      return super.pipe(destination, options);
    }
    this.#pumping = true;
    void this.#pump(destination, options?.end ?? true);
    return destination;
  }

  override _read(size: number): void {
    const length = Math.min(Math.max(size, 64 * 1024), this.#end + 1 - this.#position);
    if (length <= 0) {
      this.push(null);
      return;
    }
    const buffer = Buffer.allocUnsafe(length);
    this.#file.read(buffer, 0, length, this.#position).then(
      ({ bytesRead }) => {
        if (bytesRead === 0) {
          this.destroy(new Error('the object file is shorter than its metadata says'));
          return;
        }
        this.#position += bytesRead;
        this.push(bytesRead === length ? buffer : buffer.subarray(0, bytesRead));
      },
      (error: Error) => this.destroy(error),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // While pumping, the pump closes the file when its last read has returned.
    if (this.#pumping) callback(error);
    else this.#close().then(() => callback(error));
  }

  async #pump(response: ServerResponse, end: boolean): Promise<void> {
    try {
      while (this.#position <= this.#end && !this.destroyed && !response.destroyed) {
        const buffer = this.#buffers.take();
        const length = Math.min(buffer.length, this.#end + 1 - this.#position);
        const { bytesRead } = await this.#file.read(buffer, 0, length, this.#position).catch((error) => {
          this.#buffers.give(buffer);
          throw error;
        });
        if (bytesRead === 0) {
          this.#buffers.give(buffer);
          throw new Error('the object file is shorter than its metadata says');
        }
        this.#position += bytesRead;
        // The callback runs once the socket is done with the bytes (or has failed): only
        // then may the buffer be filled again.
        const flushed = response.write(buffer.subarray(0, bytesRead), () => this.#buffers.give(buffer));
        if (!flushed) await drainedOrClosed(response);
      }
      if (end && !response.destroyed && this.#position > this.#end) response.end();
    } catch (error) {
      // Headers are already sent: all that is left is to cut the connection, so that the
      // client sees a short body rather than a complete-looking wrong one.
      response.destroy(error as Error);
    } finally {
      await this.#close();
      this.push(null);
    }
  }

  #close(): Promise<void> {
    this.#closed ??= this.#file.close().catch(() => undefined);
    return this.#closed;
  }
}

function drainedOrClosed(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}
