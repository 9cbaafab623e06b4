import type { DeviceCommand } from '@flotilla/contracts';
import type { RenderedCommand } from '../mqtt/dialect-router.js';

/**
 * A command on the Flyve topics (flyve-mdm.md §A.1, §A.3): `<e>/agent/<serial>/Command/<Name>`, Wipe at
 * QoS 2, every other command at QoS 1. `rpc` has no Flyve form.
 */
export function renderFlyveCommand(tenant: string, serial: string, command: DeviceCommand): RenderedCommand | undefined {
  const at = (name: string, body: unknown, qos: 1 | 2 = 1): RenderedCommand => ({ topic: `${tenant}/agent/${serial}/Command/${name}`, payload: Buffer.from(JSON.stringify(body)), qos });
  switch (command.type) {
    case 'lock':
      return at('Lock', { lock: 'now' });
    case 'unlock':
      return at('Lock', { lock: 'unlock' });
    case 'wipe':
      return at('Wipe', { wipe: 'now' }, 2);
    case 'ping':
      return at('Ping', { query: 'Ping' });
    case 'geolocate':
      return at('Geolocate', { query: 'Geolocate' });
    case 'inventory':
      return at('Inventory', { query: 'Inventory' });
    case 'unenroll':
      return at('Unenroll', { unenroll: 'Now' });
    case 'subscribe':
      return at('Subscribe', { subscribe: command.topics.map((topic) => ({ topic })) });
    case 'rpc':
      return undefined;
  }
}
