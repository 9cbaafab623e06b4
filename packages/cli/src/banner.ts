import type { Platform } from './platform.js';
import type { PlatformConfig } from './platform-config.js';
import { redactUrl } from '@flotilla/db';

/** What `flotilla start` prints: where everything listens and, for a dev install, how to try it. */
export function startupBanner(platform: Platform, config: PlatformConfig): string {
  const lines = [
    'Flotilla is running.',
    `  HTTP API      ${platform.httpUrl}  (/healthz, /readyz, /metrics, /api/v1/...)`,
    `  MQTT          mqtt://${config.MQTT_HOST}:${platform.mqttPort}`,
    `  NATS          ${platform.natsUrl}`,
    `  PostgreSQL    ${redactUrl(platform.databaseUrl)}`,
    ...platform.infrastructure.started.map((line) => `  started       ${line}`),
  ];
  if (platform.bootstrap) {
    lines.push(
      '',
      `First start: tenant "${platform.bootstrap.tenant}" was created with this admin API key. It is shown once; keep it:`,
      '',
      `  ${platform.bootstrap.key}`,
    );
  }
  const dev = platform.devCredentials;
  if (dev) {
    lines.push(
      '',
      `Development credentials (${dev.created ? 'created now, ' : ''}kept in ${config.FLOTILLA_DATA_DIR}/dev-credentials.json):`,
      `  a device password shared by the Flyve devices of tenant ${dev.tenant} is in that file.`,
      '',
      'Try it:',
      `  mosquitto_pub -h 127.0.0.1 -p ${platform.mqttPort} -u phone-1 -P "$(jq -r .devicePassword ${config.FLOTILLA_DATA_DIR}/dev-credentials.json)" \\`,
      `    -t ${dev.tenant}/agent/phone-1/Status/Geolocation -m '{"latitude":48.1054276,"longitude":-1.67820699,"datetime":1476345332}'`,
      `  curl -H "Authorization: Bearer <admin API key>" ${platform.httpUrl}/api/v1/devices/phone-1/positions`,
    );
  }
  lines.push('', 'Press Ctrl-C to stop.', '');
  return lines.join('\n');
}
