/**
 * A value read at most once per `ttlMs` per container, with concurrent callers sharing one
 * read (single flight). The dashboard uses it for the summaries: they already trail the
 * inventory by the stream's batch window, so a second more costs nothing and spares the
 * table a Scan per page view under load. A TTL of 0 reads on every call (tests).
 */
export class ShortLivedCache<T> {
  private cached: { at: number; value: T } | undefined;
  private loading: Promise<T> | undefined;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(): Promise<T> {
    if (this.cached && this.now() - this.cached.at < this.ttlMs) return this.cached.value;
    this.loading ??= (async () => {
      const at = this.now();
      try {
        const value = await this.load();
        if (this.ttlMs > 0) this.cached = { at, value };
        return value;
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }
}
