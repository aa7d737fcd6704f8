/** Runs work on several hosts at once, at most N at a time (Terraform's `-parallelism`). */

/** Terraform's default `-parallelism`. */
export const DEFAULT_PARALLELISM = 10;

/**
 * `fn` over `items`, at most `limit` running at once, results in the order of `items`. A
 * rejection of one item rejects the whole (callers catch per item when they want every result).
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`mapLimit: limit must be a positive integer, got ${limit}`);
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
