import { randomBytes } from 'node:crypto';
import { InvitationCanceled, InvitationCreated } from '@flotilla/contracts';
import { sha256Hex } from '@flotilla/credentials';
import type { InventoryContext } from '../context.js';
import { loadInvitation } from './invitation-state.js';

/** A new invitation, with its token (shown once) and the deeplink an agent scans. */
export interface CreatedInvitation {
  id: string;
  email: string;
  token: string;
  status: 'pending';
  expiresAt: string;
  /** base64 of `url\;user_token\;invitation_token\;support_name\;support_phone\;support_website\;support_email` (flyve-mdm.md §B.3). */
  deeplinkPayload: string;
  deeplink: string;
}

/** Scheme an agent registers for enrollment links. */
export const DEEPLINK_BASE = 'flyvemdm://register?data=';

/**
 * The Flyve QR/deeplink payload. Separators are `\;` as the original backend wrote them (addcslashes),
 * and agents split on. `user_token` is empty: enrollment here is authorized by the invitation token alone.
 */
export function deeplinkPayload(fields: { url: string; invitationToken: string; supportName: string; supportPhone: string; supportWebsite: string; supportEmail: string }): string {
  const escape = (value: string) => value.replace(/([\\;])/g, '\\$1');
  const joined = [fields.url, '', fields.invitationToken, fields.supportName, fields.supportPhone, fields.supportWebsite, fields.supportEmail].map(escape).join('\\;');
  return Buffer.from(joined, 'utf8').toString('base64');
}

/** Creates an invitation for `email` valid `ttlDays` (default: the configured P7D). */
export async function createInvitation(ctx: InventoryContext, tenant: string, email: string, ttlDays = ctx.settings.INVITATION_TTL_DAYS): Promise<CreatedInvitation> {
  const id = `inv_${randomBytes(8).toString('hex')}`;
  const token = randomBytes(32).toString('hex');
  const expiresAt = new Date(ctx.now().getTime() + ttlDays * 86_400_000);
  await ctx.bus.publish(InvitationCreated, { tenant, subjectId: id, data: { invitationId: id, email, tokenDigest: sha256Hex(token), expiresAt } }, { expectedLastSubjectSequence: 0 });
  const s = ctx.settings;
  const payload = deeplinkPayload({ url: s.ENROLLMENT_API_URL, invitationToken: token, supportName: s.SUPPORT_NAME, supportPhone: s.SUPPORT_PHONE, supportWebsite: s.SUPPORT_WEBSITE, supportEmail: s.SUPPORT_EMAIL });
  return { id, email, token, status: 'pending', expiresAt: expiresAt.toISOString(), deeplinkPayload: payload, deeplink: `${DEEPLINK_BASE}${encodeURIComponent(payload)}` };
}

/** Withdraws a pending invitation: `not-found`, `not-pending` (already used or canceled) or `canceled`. */
export async function cancelInvitation(ctx: InventoryContext, tenant: string, invitationId: string): Promise<'not-found' | 'not-pending' | 'canceled'> {
  const state = await loadInvitation(ctx, tenant, invitationId);
  if (!state) return 'not-found';
  if (state.status !== 'pending') return 'not-pending';
  await ctx.bus.publish(InvitationCanceled, { tenant, subjectId: invitationId, data: { invitationId } }, { expectedLastSubjectSequence: 0 });
  return 'canceled';
}
