import { ConcurrencyError, type Bus } from '@flotilla/bus';
import { OPERATOR_KEYS_BUCKET, DEVICE_CREDENTIALS_BUCKET, SubjectToken, TenantCreated } from '@flotilla/contracts';
import type { InventoryContext } from '../context.js';
import { issueApiKey, type IdentityWriter, type IssuedApiKey } from './api-keys.js';

/** A tenant just created, with its first admin key (shown once). */
export type CreatedTenant = IssuedApiKey & { tenant: string };

/** Raised when the tenant id is taken. */
export class TenantExistsError extends Error {
  override readonly name = 'TenantExistsError';
}

/**
 * Creates a tenant and an admin key for it. The append is conditional on the tenant's subject, so two
 * creators of the same id cannot both succeed ({@link TenantExistsError}).
 */
export async function createTenant(ctx: IdentityWriter, tenant: string, name: string): Promise<CreatedTenant> {
  SubjectToken.parse(tenant);
  try {
    await ctx.bus.publish(TenantCreated, { tenant, subjectId: tenant, data: { name } }, { expectedLastSubjectSequence: 0 });
  } catch (error) {
    if (error instanceof ConcurrencyError) throw new TenantExistsError(`tenant ${tenant} exists`);
    throw error;
  }
  return { tenant, ...(await issueApiKey(ctx, tenant, `${tenant} admin`, 'admin')) };
}

/** Creates a tenant from outside a running service (the CLI): opens the buckets the key is written to. */
export async function createTenantWith(bus: Bus, tenant: string, name: string): Promise<CreatedTenant> {
  const kv = await bus.ensureBuckets([{ name: DEVICE_CREDENTIALS_BUCKET }, { name: OPERATOR_KEYS_BUCKET }]);
  return createTenant({ bus, buckets: { deviceCredentials: kv.get(DEVICE_CREDENTIALS_BUCKET)!, operatorKeys: kv.get(OPERATOR_KEYS_BUCKET)! } }, tenant, name);
}

/**
 * On a platform with no tenant yet, creates the bootstrap tenant and an admin key for it and returns the
 * key (to be printed once). Replicas racing here create one tenant.
 */
export async function bootstrapTenant(ctx: InventoryContext): Promise<CreatedTenant | undefined> {
  const stream = ctx.bus.names.stream('identity');
  const info = await ctx.bus.connection.jsm.streams.info(stream, { subjects_filter: ctx.bus.names.subject('identity.*.*.TenantCreated') });
  if (Object.keys(info.state.subjects ?? {}).length > 0) return undefined;
  try {
    return await createTenant(ctx, ctx.settings.BOOTSTRAP_TENANT, ctx.settings.BOOTSTRAP_TENANT);
  } catch (error) {
    if (error instanceof TenantExistsError) return undefined;
    throw error;
  }
}
