/** A topic of the Flyve tree `<e>/agent/<serial>/<Status|Command>/<name>[/<rest>]`. */
export interface FlyveAgentTopic {
  tenant: string;
  serial: string;
  direction: 'Status' | 'Command';
  name: string;
  rest: string[];
}

/**
 * Parses a Flyve agent topic. The legacy leading-slash form of old agents (`/<e>/agent/…`,
 * flyve-mdm.md §B.0) is accepted as the same topic.
 */
export function parseFlyveAgentTopic(topic: string): FlyveAgentTopic | undefined {
  const levels = (topic.startsWith('/') ? topic.slice(1) : topic).split('/');
  const [tenant, agent, serial, direction, name, ...rest] = levels;
  if (!tenant || agent !== 'agent' || !serial || (direction !== 'Status' && direction !== 'Command') || !name) return undefined;
  return { tenant, serial, direction, name, rest };
}
