/** A broker under test, started by the benchmark on free ports of 127.0.0.1. */
export interface BrokerUnderTest {
  /** Short key used in results: `gateway`, `nats-mqtt`, `mosquitto`. */
  readonly key: string;
  /** What it is, with its version. */
  readonly description: string;
  readonly host: string;
  readonly port: number;
  /** Pid of the server process whose memory is measured. */
  readonly pid: number;
  /** Another process doing part of the work (the gateway's NATS server), whose CPU is reported too. */
  readonly helperPid?: number | undefined;
  /** Credentials a device with this serial connects with. */
  credentials(serial: string): { username: string; password: string };
  /** Topic a device with this serial publishes its position to. */
  positionTopic(serial: string): string;
  /** Facts worth printing beside the figures (settings, what is stored). */
  readonly notes: string[];
  /** Runs a full garbage collection in the server, for runtimes that have one (the gateway). */
  collectGarbage?(): Promise<void>;
  /** Server-side figures at this moment (metrics, stored message counts), for the results file. */
  snapshot(): Promise<Record<string, number | string>>;
  /** Stops the server and removes what it created. */
  stop(): Promise<void>;
}

/** Tenant of every device of the benchmark. */
export const TENANT = 'bench';

/** The Flyve position topic of a device of {@link TENANT}. */
export const positionTopic = (serial: string): string => `${TENANT}/agent/${serial}/Status/Geolocation`;
