import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway } from '../gateway.fixture.js';

// Clients we did not write, as applications on two replicas: Mosquitto's command-line clients and paho.
let a: Awaited<ReturnType<typeof startTestGateway>>;
let b: Awaited<ReturnType<typeof startTestGateway>>;
beforeAll(async () => {
  a = await startTestGateway({ GATEWAY_ID: 'gw-a' });
  b = await startTestGateway({ GATEWAY_ID: 'gw-b' }, a.namespace);
});
afterAll(async () => {
  await b.service.stop();
  await a.stop();
});

/** Runs mosquitto_sub until it has `count` messages; resolves with its `-v` output lines once it subscribed. */
function subscribe(port: number, user: { username: string; password: string }, filter: string, count: number, version: string) {
  // Line-buffered, so its SUBACK line arrives while it runs (a pipe is block-buffered otherwise).
  const child = spawn('stdbuf', ['-oL', 'mosquitto_sub', '-h', '127.0.0.1', '-p', String(port), '-V', version, '-q', '2', '-u', user.username, '-P', user.password, '-i', `${user.username}-sub`, '-t', filter, '-C', String(count), '-v', '-d']);
  let out = '';
  let subscribed: () => void;
  const ready = new Promise<void>((resolve) => (subscribed = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (out.includes('SUBACK')) subscribed();
  });
  const done = new Promise<string[]>((resolve) => child.on('close', () => resolve(out.split('\n').filter((line) => line && !/^Client |^Subscribed/.test(line)))));
  return { ready, done, stop: () => child.kill() };
}

describe('applications with Mosquitto and paho clients', () => {
  it.each(['mqttv311', 'mqttv5'])('mosquitto_pub on one replica reaches mosquitto_sub on the other at QoS 2 (%s)', async (version) => {
    const reader = await a.putApplication('acme', `mosq-reader-${version}`);
    const writer = await a.putApplication('acme', `mosq-writer-${version}`);
    const sub = subscribe(b.port, reader, `lab/${version}/#`, 2, version);
    await sub.ready;
    for (const [topic, message] of [[`lab/${version}/one`, 'first'], [`lab/${version}/two.dots and space`, 'second']]) {
      await promisify(execFile)('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(a.port), '-V', version, '-q', '2', '-u', writer.username, '-P', writer.password, '-t', topic!, '-m', message!]);
    }
    const timer = setTimeout(sub.stop, 10_000);
    const lines = await sub.done;
    clearTimeout(timer);
    expect(lines).toEqual([`lab/${version}/one first`, `lab/${version}/two.dots and space second`]);
  });

  it('paho-mqtt publishes retained at QoS 1; a later mosquitto_sub on the other replica gets it flagged retained', async () => {
    const writer = await a.putApplication('acme', 'paho-writer');
    const reader = await a.putApplication('acme', 'mosq-late-reader');
    const script = [
      'import sys, paho.mqtt.client as mqtt',
      'c = mqtt.Client(client_id="paho-writer", protocol=mqtt.MQTTv311)',
      'c.username_pw_set(sys.argv[2], sys.argv[3])',
      'c.connect("127.0.0.1", int(sys.argv[1]))',
      'c.loop_start()',
      'info = c.publish("lab/state", "ready", qos=1, retain=True)',
      'info.wait_for_publish(5)',
      'print("published" if info.is_published() else "not published")',
      'c.disconnect(); c.loop_stop()',
    ].join('\n');
    const { stdout } = await promisify(execFile)('/usr/bin/python3', ['-c', script, String(a.port), writer.username, writer.password]);
    expect(stdout.trim()).toBe('published');
    // -R would drop retained messages; -F prints the retain flag and topic.
    const { stdout: seen } = await promisify(execFile)('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(b.port), '-q', '1', '-u', reader.username, '-P', reader.password, '-t', 'lab/state', '-C', '1', '-W', '10', '-F', '%r %t %p']);
    expect(seen.trim()).toBe('1 lab/state ready');
  });
});
