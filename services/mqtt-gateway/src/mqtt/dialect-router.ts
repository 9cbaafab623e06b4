import type { DeviceCommand } from '@flotilla/contracts';
import type { ForwardedProperties } from '../applications/app-message.js';
import type { Identity } from '../auth/authenticator.js';

/** A PUBLISH from a device (or application), as the dialect sees it. */
export interface DeviceMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
  /** The publishing client id (applications' No Local). */
  clientId?: string;
  /** MQTT 5 properties that travel with an application message. */
  properties?: ForwardedProperties;
  /** The connection it came from, and when that connection started (orders reports of a device). */
  connectionId?: string;
  connectedAt?: number;
  /** Published by the gateway as the connection's Last Will. */
  lastWill?: boolean;
}

/** What became of a device PUBLISH. `stored` means the event is in JetStream (PubAck received). */
export type PublishOutcome =
  | { kind: 'stored' }
  | { kind: 'ignored'; reason: string }
  | { kind: 'refused'; code: 'not-authorized' | 'topic-invalid' | 'payload-invalid'; reason: string };

/** A command as the device receives it. */
export interface RenderedCommand {
  topic: string;
  payload: Buffer;
  qos: 1 | 2;
}

/**
 * One wire dialect: topic rules and the mapping of device publishes to domain events. `publish` throws
 * when the event could not be stored (the device is then not acknowledged and will resend).
 */
export interface DialectRouter {
  maySubscribe(identity: Identity, filter: string): boolean;
  /** Whether `identity` may publish to `topic` at all (checked for wills at CONNECT). */
  mayPublish(identity: Identity, topic: string): boolean;
  publish(identity: Identity, message: DeviceMessage): Promise<PublishOutcome>;
  /** The command on this dialect's topics, or undefined when the dialect has no form for it. */
  renderCommand(identity: Identity, command: DeviceCommand): RenderedCommand | undefined;
}
