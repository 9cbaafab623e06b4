import { ConcurrencyError, reactor } from '@flotilla/bus';
import { DeviceUnenrolled, DeviceUnenrollReported } from '@flotilla/contracts';
import type { InventoryContext } from '../context.js';
import { revokeDeviceCredential } from '../enrollment/device-credentials.js';
import { clearRetainedState } from '../enrollment/retained-state.js';
import { loadEnrollment } from './unenroll.js';

/**
 * Finishes unenrollments (flyve-mdm.md §A.3, §B.3): a device's `Status/Unenroll` makes it unenrolled;
 * an unenrolled device (confirmed or forced) loses its credential (the gateway disconnects it) and the
 * retained messages under its topic. Every step is idempotent, so a redelivery repeats nothing harmful.
 */
export function unenrollReactor(ctx: InventoryContext) {
  return reactor({
    name: 'inventory-unenroll',
    events: [DeviceUnenrollReported, DeviceUnenrolled],
    async handle(event, { seq }) {
      const { tenant } = event;
      const { deviceId } = event.data;
      const state = await loadEnrollment(ctx, tenant, deviceId);
      if (event.type === 'DeviceUnenrollReported') {
        if (state.status !== 'enrolled' && state.status !== 'unenrolling') return;
        try {
          await ctx.bus.publish(DeviceUnenrolled, { tenant, subjectId: deviceId, data: { deviceId, forced: false }, id: `unenrolled:${tenant}:${deviceId}:${state.enrolled!.seq}` }, { expectedLastSubjectSequence: state.unenrolledSeq });
        } catch (error) {
          if (!(error instanceof ConcurrencyError)) throw error;
        }
        return;
      }
      // DeviceUnenrolled: only the effects of the device's latest enrollment (a later re-enrollment keeps its credential).
      if (state.status !== 'unenrolled' || state.unenrolledSeq !== seq || !state.enrolled) return;
      await revokeDeviceCredential(ctx, tenant, deviceId, state.enrolled.serial, 'unenrolled', `credential-revoked:${tenant}:${deviceId}:${seq}`);
      await clearRetainedState(ctx, state.enrolled.topic);
    },
  });
}
