import { ConcurrencyError } from '@flotilla/bus';
import { TenantCreated } from '@flotilla/contracts';
import type { InventoryContext } from '../context.js';
import { issueApiKey, type IssuedApiKey } from './api-keys.js';

/**
 * On a platform with no tenant yet, creates the bootstrap tenant and an admin key for it and returns the
 * key (to be printed once). Replicas racing here create one tenant: the append is conditional.
 */
export async function bootstrapTenant(ctx: InventoryContext): Promise<(IssuedApiKey & { tenant: string }) | undefined> {
  const stream = ctx.bus.names.stream('identity');
  const info = await ctx.bus.connection.jsm.streams.info(stream, { subjects_filter: ctx.bus.names.subject('identity.*.*.TenantCreated') });
  if (Object.keys(info.state.subjects ?? {}).length > 0) return undefined;
  const tenant = ctx.settings.BOOTSTRAP_TENANT;
  try {
    await ctx.bus.publish(TenantCreated, { tenant, subjectId: tenant, data: { name: tenant } }, { expectedLastSubjectSequence: 0 });
  } catch (error) {
    if (error instanceof ConcurrencyError) return undefined;
    throw error;
  }
  return { tenant, ...(await issueApiKey(ctx, tenant, 'bootstrap admin', 'admin')) };
}
