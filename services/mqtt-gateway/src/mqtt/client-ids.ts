import { principalKey } from '../auth/authenticator.js';
import type { MqttConnection } from './connection.js';

/** Outcome of claiming a client id for a new connection. */
export type ClaimResult = 'new' | 'taken-over' | 'conflict';

/**
 * Client ids in use on this replica. An id is bound to the identity that holds it: the same device
 * connecting again takes its session over (the old connection is closed, [MQTT-3.1.4-3]); another
 * device presenting the same id is refused (hardening §1.6).
 */
export class ClientIds {
  private readonly holders = new Map<string, MqttConnection>();

  claim(connection: MqttConnection): ClaimResult {
    const holder = this.holders.get(connection.clientId);
    const mine = connection.identity!;
    if (holder && holder !== connection && holder.state !== 'closed') {
      if (principalKey(holder.identity!) !== principalKey(mine)) return 'conflict';
      holder.close('session-taken-over', 0x8e, 'another connection took the session over');
      this.holders.set(connection.clientId, connection);
      return 'taken-over';
    }
    this.holders.set(connection.clientId, connection);
    return 'new';
  }

  release(connection: MqttConnection): void {
    if (this.holders.get(connection.clientId) === connection) this.holders.delete(connection.clientId);
  }
}
