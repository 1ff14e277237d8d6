/**
 * Runs `work` on every value, at most `concurrency` at a time, each worker taking the next
 * value when its last one ends. A rejection rejects the whole run (callers that must go on
 * catch inside `work`).
 */
export async function inPool<T>(
  values: readonly T[],
  concurrency: number,
  work: (value: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < values.length) {
      const value = values[next] as T;
      next += 1;
      await work(value);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, values.length) }, worker));
}
