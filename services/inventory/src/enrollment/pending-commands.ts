import type { InventoryContext } from '../context.js';

/** Drops commands still queued for a device (e.g. the `Command/Unenroll` of a forced unenrollment) before it enrolls again. */
export async function purgePendingCommands(ctx: InventoryContext, tenant: string, deviceId: string): Promise<void> {
  const { names, connection } = ctx.bus;
  await connection.jsm.streams.purge(names.stream('commands'), { filter: names.subject(`commands.${tenant}.${deviceId}.>`) });
}
