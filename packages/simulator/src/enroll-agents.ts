import { inventoryDocument, type AgentIdentity } from './flyve-agent.js';

/** Options of {@link enrollAgents}. */
export interface EnrollOptions {
  /** API base, e.g. `http://127.0.0.1:8080/api/v1`. */
  apiUrl: string;
  /** An operator key allowed to invite (operator or admin). */
  apiKey: string;
  serials: readonly string[];
  email: string;
  /** Enrollments in flight at once. */
  concurrency: number;
}

/** An enrolled agent: its identity, and the MQTT endpoint the platform gave it. */
export interface EnrolledAgent extends AgentIdentity {
  host: string;
  port: number;
}

async function post(url: string, body: unknown, key?: string): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) }, body: JSON.stringify(body) });
  const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${String(answer.error ?? '')} ${String(answer.message ?? '')}`.trim());
  return answer;
}

/**
 * Enrolls each serial as a Flyve agent would (flyve-mdm.md §B.3): an operator invitation per agent, then
 * the agent's own enrollment with its inventory. Returns the credentials the platform issued.
 */
export async function enrollAgents(options: EnrollOptions): Promise<{ enrolled: EnrolledAgent[]; failed: { serial: string; reason: string }[] }> {
  const enrolled: EnrolledAgent[] = [];
  const failed: { serial: string; reason: string }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < options.serials.length) {
      const serial = options.serials[next++]!;
      try {
        const invitation = await post(`${options.apiUrl}/invitations`, { email: options.email }, options.apiKey);
        const answer = await post(`${options.apiUrl}/enrollments`, {
          invitationToken: invitation.token,
          email: options.email,
          serial,
          type: 'android',
          version: '2.0.0',
          inventory: Buffer.from(inventoryDocument(serial), 'utf8').toString('base64'),
        });
        const mqtt = answer.mqtt as { host: string; port: number; username: string; password: string };
        enrolled.push({ tenant: String(answer.tenant), serial: mqtt.username, password: mqtt.password, host: mqtt.host, port: mqtt.port });
      } catch (error) {
        failed.push({ serial, reason: (error as Error).message });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  return { enrolled, failed };
}
