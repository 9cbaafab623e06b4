import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diffInventories } from './inventory-diff.js';
import { type NormalizedInventory, parseInventoryXml } from './inventory-document.js';

function inventoryOf(name: string): NormalizedInventory {
  const reading = parseInventoryXml(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));
  if (reading.kind !== 'ok') throw new Error(reading.reason);
  return reading.inventory;
}

const s9 = inventoryOf('phone-galaxy-s9.xml');
const s9Later = inventoryOf('phone-galaxy-s9-later.xml');

describe('diffInventories', () => {
  it('finds exactly what changed on the Galaxy S9 in a week', () => {
    expect(diffInventories(s9, s9Later)).toEqual([
      { section: 'batteries', key: '#1', change: 'changed', before: { level: '87%', capacity: '87' }, after: { level: '64%', capacity: '64' } },
      { section: 'networks', key: '8c:f5:a3:4e:12:9b', change: 'changed', before: { ipaddress: '192.168.1.23' }, after: { ipaddress: '192.168.1.57' } },
      {
        section: 'software', key: 'com.facebook.katana', change: 'removed', after: null,
        before: { name: 'Facebook', comments: 'com.facebook.katana', version: '200.0.0.36.93', filesize: '61865984', from: 'Android', installdate: '02/09/2018', folder: '/data/app/com.facebook.katana-1', no_remove: '1', userid: '10157' },
      },
      {
        section: 'software', key: 'org.fdroid.fdroid', change: 'added', before: null,
        after: { name: 'F-Droid', comments: 'org.fdroid.fdroid', version: '1.5.1', filesize: '7340032', from: 'Android', installdate: '17/12/2018', folder: '/data/app/org.fdroid.fdroid-1', no_remove: '1', userid: '10231' },
      },
      { section: 'software', key: 'org.telegram.messenger', change: 'changed', before: { version: '5.0.1', filesize: '17825792' }, after: { version: '5.1.1', filesize: '18350080' } },
    ]);
  });

  it('reports the reverse when the inventories are swapped', () => {
    expect(diffInventories(s9Later, s9).map(({ section, key, change }) => `${section} ${key} ${change}`)).toEqual([
      'batteries #1 changed', 'networks 8c:f5:a3:4e:12:9b changed', 'software com.facebook.katana added', 'software org.fdroid.fdroid removed', 'software org.telegram.messenger changed',
    ]);
  });

  it('has nothing to compare a first inventory with', () => {
    expect(diffInventories(null, s9)).toEqual([]);
  });

  it('ignores DEVICEID, ACCESSLOG and the order items are listed in', () => {
    const again = { ...s9, deviceId: 'SM-G960F-2018-12-10-15-02-33', software: [...s9.software].reverse(), other: { ...s9.other, accesslog: [{ logdate: '2018-12-10 15:02:33', userid: 'N/A' }] } };
    expect(diffInventories(s9, again)).toEqual([]);
  });

  it('compares field maps and the agent header field by field', () => {
    const { lastloggeduser: _gone, ...hardware } = s9.hardware;
    const upgraded: NormalizedInventory = {
      ...s9, agentVersion: 'MDM Agent/2.0.1', invitationTag: null,
      os: { ...s9.os, name: 'Android Pie 9.0', version: '28' }, hardware: { ...hardware, ethernet: 'none' },
    };
    expect(diffInventories(s9, upgraded)).toEqual([
      { section: 'hardware', key: 'ethernet', change: 'added', before: null, after: 'none' },
      { section: 'hardware', key: 'lastloggeduser', change: 'removed', before: 'dpi', after: null },
      { section: 'inventory', key: 'agentVersion', change: 'changed', before: 'MDM Agent/2.0.0', after: 'MDM Agent/2.0.1' },
      { section: 'inventory', key: 'invitationTag', change: 'removed', before: s9.invitationTag, after: null },
      { section: 'os', key: 'name', change: 'changed', before: 'Android Oreo 8.0', after: 'Android Pie 9.0' },
      { section: 'os', key: 'version', change: 'changed', before: '26', after: '28' },
    ]);
  });

  it('matches items without a natural key by position, keeps equal keys apart, and sorts #2 before #10', () => {
    const cores = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `core ${i}` }));
    const before = { ...s9, cpus: cores(2), sensors: [{ name: 'Light', power: '0.75' }, { name: 'Light', power: '0.5' }] };
    const after = { ...s9, cpus: cores(11), sensors: [{ name: 'Light', power: '0.75' }, { name: 'Light', power: '0.6' }], other: { ...s9.other, storages: [] } };
    const changes = diffInventories(before, after);
    expect(changes.map(({ section, key, change }) => `${section} ${key} ${change}`)).toEqual([
      ...[3, 4, 5, 6, 7, 8, 9, 10, 11].map((n) => `cpus #${n} added`),
      'other.storages #1 removed',
      'sensors Light #2 changed',
    ]);
    expect(changes.at(-1)).toMatchObject({ before: { power: '0.5' }, after: { power: '0.6' } });
  });
});
