import { z } from 'zod';

/**
 * A command for one device, in domain terms; each dialect renders it on its own topics (Flyve:
 * `Command/<Name>`, flyve-mdm.md §A.3). `rpc` carries the free-form requests of the other dialects.
 */
export const DeviceCommand = z.discriminatedUnion('type', [
  z.object({ type: z.literal('lock') }),
  z.object({ type: z.literal('unlock') }),
  z.object({ type: z.literal('wipe') }),
  z.object({ type: z.literal('ping') }),
  z.object({ type: z.literal('geolocate') }),
  z.object({ type: z.literal('inventory') }),
  z.object({ type: z.literal('unenroll') }),
  /** The fleet topics to follow; `[null]` when the device is in no managed fleet (flyve-mdm.md §B.8 fixture 1). */
  z.object({ type: z.literal('subscribe'), topics: z.union([z.array(z.string().min(1)).min(1), z.tuple([z.null()])]) }),
  z.object({ type: z.literal('rpc'), method: z.string().min(1), params: z.unknown() }),
]);
/** One of {@link DeviceCommand}. */
export type DeviceCommand = z.infer<typeof DeviceCommand>;
