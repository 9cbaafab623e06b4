import { InvitationAccepted, InvitationCanceled, InvitationCreated, InvitationReopened, isSafeSubjectToken, type EventOf } from '@flotilla/contracts';
import type { InventoryContext } from '../context.js';

/** An invitation as decided from its own events (not the read model). */
export interface InvitationState {
  created: EventOf<typeof InvitationCreated>;
  status: 'pending' | 'done' | 'canceled';
  /** Sequence of the last acceptance: what the next acceptance must expect (0 = never accepted). */
  acceptedSeq: number;
  deviceId: string | null;
}

/** Reads one invitation's state from the IDENTITY stream; undefined when it does not exist. */
export async function loadInvitation(ctx: InventoryContext, tenant: string, invitationId: string): Promise<InvitationState | undefined> {
  if (!isSafeSubjectToken(invitationId)) return undefined;
  const [created, accepted, reopened, canceled] = await Promise.all([
    ctx.bus.last(InvitationCreated, tenant, invitationId),
    ctx.bus.last(InvitationAccepted, tenant, invitationId),
    ctx.bus.last(InvitationReopened, tenant, invitationId),
    ctx.bus.last(InvitationCanceled, tenant, invitationId),
  ]);
  if (!created) return undefined;
  const acceptedSeq = accepted?.seq ?? 0;
  const done = acceptedSeq > (reopened?.seq ?? 0);
  return {
    created: created.event,
    status: canceled ? 'canceled' : done ? 'done' : 'pending',
    acceptedSeq,
    deviceId: done ? (accepted?.event.data.deviceId ?? null) : null,
  };
}
