import { projector } from '@flotilla/bus';
import { ApiKeyIssued, ApiKeyRevoked, EnrollmentRefused, InvitationAccepted, InvitationCanceled, InvitationCreated, InvitationReopened, TenantCreated } from '@flotilla/contracts';
import type { CheckpointTables } from '@flotilla/db';
import type { Transaction } from 'kysely';
import type { InventoryTables } from '../context.js';

/** Tenants, operator keys (without digests), invitations and enrollment refusals. */
export const identityProjector = projector<InventoryTables, [
  typeof TenantCreated,
  typeof ApiKeyIssued,
  typeof ApiKeyRevoked,
  typeof InvitationCreated,
  typeof InvitationAccepted,
  typeof InvitationReopened,
  typeof InvitationCanceled,
  typeof EnrollmentRefused,
]>({
  name: 'inventory-identity',
  events: [TenantCreated, ApiKeyIssued, ApiKeyRevoked, InvitationCreated, InvitationAccepted, InvitationReopened, InvitationCanceled, EnrollmentRefused],
  tables: ['tenants', 'api_keys', 'invitations', 'enrollment_refusals'],
  async apply(trx, event, { seq }): Promise<unknown> {
    const { tenant, occurredAt } = event;
    switch (event.type) {
      case 'TenantCreated':
        return trx.insertInto('tenants').values({ tenant, name: event.data.name, created_at: occurredAt }).onConflict((oc) => oc.column('tenant').doNothing()).execute();
      case 'ApiKeyIssued': {
        const { keyId, name, role } = event.data;
        return trx.insertInto('api_keys').values({ key_id: keyId, tenant, name, role, revoked: false, created_at: occurredAt }).onConflict((oc) => oc.column('key_id').doNothing()).execute();
      }
      case 'ApiKeyRevoked':
        return trx.updateTable('api_keys').set({ revoked: true, revoked_at: occurredAt }).where('key_id', '=', event.data.keyId).where('tenant', '=', tenant).execute();
      case 'InvitationCreated': {
        const { invitationId, email, tokenDigest, expiresAt } = event.data;
        return trx
          .insertInto('invitations')
          .values({ tenant, invitation_id: invitationId, email, token_digest: tokenDigest, status: 'pending', expires_at: expiresAt, created_at: occurredAt, updated_at: occurredAt })
          .onConflict((oc) => oc.columns(['tenant', 'invitation_id']).doNothing())
          .execute();
      }
      case 'InvitationAccepted':
        return setStatus(trx, tenant, event.data.invitationId, 'done', event.data.deviceId, occurredAt);
      case 'InvitationReopened':
        return setStatus(trx, tenant, event.data.invitationId, 'pending', null, occurredAt);
      case 'InvitationCanceled':
        return setStatus(trx, tenant, event.data.invitationId, 'canceled', null, occurredAt);
      case 'EnrollmentRefused': {
        const d = event.data;
        return trx
          .insertInto('enrollment_refusals')
          .values({ seq, tenant, invitation_id: d.invitationId, serial: d.serial, reason: d.reason, message: d.message, remote_address: d.remoteAddress, occurred_at: occurredAt })
          .onConflict((oc) => oc.column('seq').doNothing())
          .execute();
      }
    }
  },
});

function setStatus(trx: Transaction<InventoryTables & CheckpointTables>, tenant: string, invitationId: string, status: string, deviceId: string | null, at: Date) {
  return trx.updateTable('invitations').set({ status, device_id: deviceId, updated_at: at }).where('tenant', '=', tenant).where('invitation_id', '=', invitationId).execute();
}
