import { retainedKeyFilters } from '@flotilla/contracts';
import type { InventoryContext } from '../context.js';

/**
 * Removes every retained message under a device's topic root (`<tenant>/agent/<serial>/#`): a retained
 * `Command/Unenroll` of an earlier enrollment must not unenroll the new one (flyve-mdm.md §B.3, issue 285).
 */
export async function clearRetainedState(ctx: InventoryContext, topicRoot: string): Promise<number> {
  let cleared = 0;
  for (const filter of retainedKeyFilters(`${topicRoot}/#`)) {
    const keys = await ctx.buckets.retained.keys(filter);
    for await (const key of keys) {
      await ctx.buckets.retained.delete(key);
      cleared++;
    }
  }
  return cleared;
}
