import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

/** Which Flyve agents to behave like (flyve-mdm.md §A: the specification; §B: the 2018 agents). */
export type AgentFormat = 'spec' | 'legacy';

/** One simulated agent's credentials and place. */
export interface AgentIdentity {
  tenant: string;
  serial: string;
  password: string;
}

/** What an agent saw and did, for the simulation's report. */
export interface AgentReport {
  serial: string;
  connected: boolean;
  connects: number;
  /** Messages received, by the last level of their topic (`Ping`, `Wipe`, a policy group…). */
  received: Record<string, number>;
  /** The QoS each kind of message last arrived at. */
  receivedQos: Record<string, number>;
  /** Messages published, by `Status/` suffix. */
  sent: Record<string, number>;
  /** Fleet topics the agent follows (from `Command/Subscribe`). */
  fleets: string[];
  wiped: boolean;
  unenrolled: boolean;
  errors: string[];
}

/** Options of one agent. */
export interface AgentOptions {
  host: string;
  port: number;
  format: AgentFormat;
  /** Position reports: one every this many ms (0: only when asked with Geolocate). */
  positionIntervalMs: number;
  /** Where the agent starts; it wanders a little at each report. */
  start: { latitude: number; longitude: number };
  random: () => number;
}

const count = (map: Record<string, number>, key: string) => void (map[key] = (map[key] ?? 0) + 1);

/**
 * A Flyve agent as real ones behave (flyve-mdm.md §A, §B.2): connects with its serial and password and a
 * retained `{"online":false}` Last Will, subscribes to its own tree (legacy agents: `<agentTopic>/#` at
 * QoS 0 over MQTT 3.1; spec agents: `Command/#` and `Policy/#` at QoS 2), says it is online, answers
 * Ping, Geolocate, Inventory and Unenroll, follows `Command/Subscribe` to its fleet's topics, reports every
 * policy task it receives as done (per-task or grouped), and reports positions at the chosen rate.
 */
export class FlyveAgent {
  readonly report: AgentReport;
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private position: { latitude: number; longitude: number };
  private readonly root: string;

  constructor(
    readonly identity: AgentIdentity,
    private readonly options: AgentOptions,
  ) {
    this.root = `${identity.tenant}/agent/${identity.serial}`;
    this.position = { ...options.start };
    this.report = { serial: identity.serial, connected: false, connects: 0, received: {}, receivedQos: {}, sent: {}, fleets: [], wiped: false, unenrolled: false, errors: [] };
  }

  /** Connects and subscribes; resolves once subscribed (or rejects when the gateway refuses the agent). */
  async start(): Promise<void> {
    const legacy = this.options.format === 'legacy';
    const options: IClientOptions = {
      host: this.options.host,
      port: this.options.port,
      username: this.identity.serial,
      password: this.identity.password,
      clientId: `paho${this.identity.serial}`,
      protocolVersion: legacy ? 3 : 4,
      ...(legacy ? { protocolId: 'MQIsdp' as const } : {}),
      clean: true,
      keepalive: 60,
      reconnectPeriod: 1_000,
      connectTimeout: 10_000,
      will: { topic: `${this.root}/Status/Online`, payload: Buffer.from('{ "online": false }'), qos: 0, retain: true },
    };
    const client = mqtt.connect(options);
    this.client = client;
    client.on('error', (error) => this.note(error.message));
    client.on('close', () => (this.report.connected = false));
    client.on('message', (topic, payload, packet) => void this.onMessage(topic, payload, packet.qos).catch((error: unknown) => this.note((error as Error).message)));
    client.on('connect', () => {
      this.report.connected = true;
      this.report.connects++;
      void this.subscribeOwn()
        .then(() => this.publish('Online', '{"online": true}'))
        .catch((error: unknown) => this.note((error as Error).message));
    });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    if (this.options.positionIntervalMs > 0) {
      // Spread the agents' reports over the interval rather than all at once.
      setTimeout(() => {
        this.timer = setInterval(() => void this.reportPosition().catch(() => undefined), this.options.positionIntervalMs);
        this.timer.unref();
      }, Math.floor(this.options.random() * this.options.positionIntervalMs)).unref();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.client?.endAsync().catch(() => undefined);
  }

  private note(error: string): void {
    if (this.report.errors.length < 20) this.report.errors.push(error);
  }

  private async subscribeOwn(): Promise<void> {
    const client = this.client!;
    if (this.options.format === 'legacy') await client.subscribeAsync({ [`${this.root}/#`]: { qos: 0 }, 'FlyvemdmManifest/Status/Version': { qos: 0 } });
    else await client.subscribeAsync({ [`${this.root}/Command/#`]: { qos: 2 }, [`${this.root}/Policy/#`]: { qos: 2 }, 'FlyvemdmManifest/Status/Version': { qos: 0 } });
    for (const fleet of this.report.fleets) await client.subscribeAsync(`${fleet}/#`, { qos: this.options.format === 'legacy' ? 0 : 2 });
  }

  private async publish(status: string, payload: string): Promise<void> {
    await this.client?.publishAsync(`${this.root}/Status/${status}`, payload, { qos: 1 });
    count(this.report.sent, status.split('/')[0]!);
  }

  private async reportPosition(): Promise<void> {
    if (!this.report.connected || this.report.unenrolled) return;
    // A short random walk; legacy agents send coordinates as strings (§B.2).
    this.position = { latitude: Math.max(-89, Math.min(89, this.position.latitude + (this.options.random() - 0.5) * 0.001)), longitude: Math.max(-179, Math.min(179, this.position.longitude + (this.options.random() - 0.5) * 0.001)) };
    const datetime = Math.floor(Date.now() / 1000);
    const body = this.options.format === 'legacy' ? { latitude: String(this.position.latitude), longitude: String(this.position.longitude), datetime } : { latitude: this.position.latitude, longitude: this.position.longitude, datetime };
    await this.publish('Geolocation', JSON.stringify(body));
  }

  private async onMessage(topic: string, payload: Buffer, qos: number): Promise<void> {
    const levels = topic.split('/');
    const name = levels.at(-1)!;
    const kind = /^\d+$/.test(name) ? levels.at(-3)! : name;
    count(this.report.received, kind);
    this.report.receivedQos[kind] = qos;
    if (payload.length === 0) return; // a retained message being cleared (§B.2)
    const body = payload.toString('utf8');
    if (topic.startsWith(`${this.root}/Command/`)) return this.onCommand(name, body);
    // A policy: per task (`…/Policy/<symbol>/Task/<id>`, §B.2) or a whole group (`{"<group>":[…]}`, §A.2).
    const task = /\/Policy\/[^/]+\/Task\/([^/]+)$/.exec(topic);
    if (task) return this.publish(`Task/${task[1]}`, '{ "status": "done" }');
    const parsed = JSON.parse(body) as Record<string, unknown>;
    const members = Object.values(parsed).find(Array.isArray) as { taskId?: string | number }[] | undefined;
    const done = (members ?? []).filter((member) => member.taskId !== undefined && member.taskId !== '').map((member) => ({ taskId: String(member.taskId), status: 'done' }));
    if (done.length > 0) await this.publish('Task', JSON.stringify({ updateStatus: done }));
  }

  private async onCommand(name: string, body: string): Promise<void> {
    switch (name) {
      case 'Ping':
        return this.publish('Ping', '!');
      case 'Geolocate':
        return this.reportPosition();
      case 'Inventory':
        return this.publish('Inventory', inventoryDocument(this.identity.serial));
      case 'Wipe':
        this.report.wiped = true;
        return;
      case 'Unenroll':
        this.report.unenrolled = true;
        return this.publish('Unenroll', '{"unenroll": "unenrolled"}');
      case 'Subscribe': {
        const { subscribe } = JSON.parse(body) as { subscribe: { topic: string | null }[] };
        const client = this.client!;
        for (const old of this.report.fleets) await client.unsubscribeAsync(`${old}/#`);
        this.report.fleets = subscribe.flatMap(({ topic }) => (topic && topic !== 'null' ? [topic] : []));
        for (const fleet of this.report.fleets) await client.subscribeAsync(`${fleet}/#`, { qos: this.options.format === 'legacy' ? 0 : 2 });
        return;
      }
      default:
        return; // Lock and the rest: recorded in the report only
    }
  }
}

/** A small FusionInventory document of a simulated phone (§B.5), with the 2018 escaped-CDATA quirk. */
export function inventoryDocument(serial: string): string {
  const cdata = (text: string) => `&lt;![CDATA[${text}]]&gt;`;
  return `<?xml version='1.0' encoding='utf-8' standalone='yes' ?><REQUEST><QUERY>${cdata('INVENTORY')}</QUERY><ITEMTYPE>${cdata('Phone')}</ITEMTYPE><DEVICEID>${cdata(`SIM-${serial}-2026-01-01-00-00-00`)}</DEVICEID><CONTENT><VERSIONCLIENT>${cdata('MDM Agent/2.0.0-sim')}</VERSIONCLIENT><BIOS><SSN>${cdata(serial)}</SSN></BIOS><HARDWARE><NAME>${cdata('Flotilla simulated phone')}</NAME></HARDWARE><OPERATINGSYSTEM><NAME>${cdata('Android')}</NAME><VERSION>${cdata('9')}</VERSION></OPERATINGSYSTEM></CONTENT></REQUEST>`;
}
