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
  const dev = platform.devCredentials;
  if (dev) {
    lines.push(
      '',
      `Development credentials (${dev.created ? 'created now, ' : ''}kept in ${config.FLOTILLA_DATA_DIR}/dev-credentials.json):`,
      `  tenant ${dev.tenant}; operator API key and device password are in that file.`,
      '',
      'Try it:',
      `  mosquitto_pub -h 127.0.0.1 -p ${platform.mqttPort} -u phone-1 -P "$(jq -r .devicePassword ${config.FLOTILLA_DATA_DIR}/dev-credentials.json)" \\`,
      `    -t ${dev.tenant}/agent/phone-1/Status/Geolocation -m '{"latitude":48.1054276,"longitude":-1.67820699,"datetime":1476345332}'`,
      `  curl -H "Authorization: Bearer $(jq -r .apiKey ${config.FLOTILLA_DATA_DIR}/dev-credentials.json)" ${platform.httpUrl}/api/v1/devices/phone-1/positions`,
    );
  }
  lines.push('', 'Press Ctrl-C to stop.', '');
  return lines.join('\n');
}
