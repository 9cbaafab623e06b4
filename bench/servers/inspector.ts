import { randomBytes } from 'node:crypto';
import net from 'node:net';

/**
 * Runs a full garbage collection in a Node.js process whose inspector listens on `host:port` (a process
 * started with `--inspect-port` and sent SIGUSR1), through the DevTools protocol's
 * `HeapProfiler.collectGarbage`. A minimal WebSocket client: one masked text frame out, and the reply
 * recognised by its id.
 */
export async function collectGarbage(host: string, port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let targets: { webSocketDebuggerUrl?: string }[] = [];
  while (targets.length === 0) {
    targets = (await fetch(`http://${host}:${port}/json/list`).then((r) => r.json(), () => [])) as typeof targets;
    if (targets.length === 0) {
      if (Date.now() > deadline) throw new Error(`no inspector on ${host}:${port}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const url = new URL(targets[0]!.webSocketDebuggerUrl!);
  const socket = net.connect({ host: url.hostname, port: Number(url.port) });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('inspector did not answer collectGarbage')), Math.max(0, deadline - Date.now()));
      let received = '';
      let upgraded = false;
      socket.on('error', reject);
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1');
        if (!upgraded) {
          if (!received.includes('\r\n\r\n')) return;
          if (!received.startsWith('HTTP/1.1 101')) return reject(new Error(`inspector refused the WebSocket: ${received.split('\r\n')[0]}`));
          upgraded = true;
          received = received.slice(received.indexOf('\r\n\r\n') + 4);
          const payload = Buffer.from(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
          const mask = randomBytes(4);
          const header = payload.length < 126 ? Buffer.from([0x81, 0x80 | payload.length]) : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
          socket.write(Buffer.concat([header, mask, payload.map((byte, i) => byte ^ mask[i % 4]!)]));
        }
        if (received.includes('"id":1')) {
          clearTimeout(timer);
          resolve();
        }
      });
      socket.once('connect', () =>
        socket.write(`GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`),
      );
    });
  } finally {
    socket.destroy();
  }
}
