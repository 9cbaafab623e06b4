import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeEnrollmentInventory, MAX_INVENTORY_BYTES, type NormalizedInventory, parseInventoryXml } from './inventory-document.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

function read(input: string | Buffer): NormalizedInventory {
  const reading = parseInventoryXml(input);
  if (reading.kind !== 'ok') throw new Error(`expected an inventory, got: ${reading.reason}`);
  return reading.inventory;
}

const minimal = (content: string) => `<REQUEST><QUERY>INVENTORY</QUERY><DEVICEID>SM-G960F-2018-12-10-14-02-33</DEVICEID><CONTENT>${content}</CONTENT></REQUEST>`;

describe('parseInventoryXml: a Flyve agent inventory (flyve-mdm.md §B.5)', () => {
  it('reads the Galaxy S9 of a 2018 agent: header, device sections and 20 apps', () => {
    const inventory = read(fixture('phone-galaxy-s9.xml'));
    expect(inventory.deviceId).toBe('SM-G960F-2018-12-10-14-02-33');
    expect(inventory.invitationTag).toBe('invitation_3f9c1e0b7a2d4c58e6f1a9b0c7d2e4f6081a3b5c7d9e0f1a2b3c4d5e6f708192');
    expect(inventory.agentVersion).toBe('MDM Agent/2.0.0');
    expect(inventory.bios).toMatchObject({ ssn: 'R58M123ABC', smanufacturer: 'samsung', smodel: 'SM-G960F', bversion: 'G960FXXU2CRK3', assettag: '' });
    expect(inventory.hardware).toMatchObject({ name: 'SM-G960F', uuid: 'a3f1c9e27b4d0f86', osversion: '8.0.0', memory: '3711' });
    expect(inventory.os).toMatchObject({ name: 'Android Oreo 8.0', version: '26', kernel_version: '4.9.59-13775479', dns_domain: '', timezone_name: 'CET', timezone_offset: '+0100' });
    expect(inventory.software).toHaveLength(20);
    expect([inventory.cpus.length, inventory.memories.length, inventory.drives.length, inventory.sensors.length, inventory.simcards.length]).toEqual([1, 1, 3, 6, 1]);
    expect(inventory.cpus[0]).toMatchObject({ name: 'Samsung Exynos 9810', core: '8', speed: '2704' });
    expect(inventory.drives.map((drive) => drive.volumn)).toEqual(['/system', '/data', '/storage/emulated/0']);
    expect(inventory.simcards[0]).toMatchObject({ operator_name: 'Orange F', serial: '8933011812345678901', line_number: '' });
    expect(inventory.networks).toEqual([expect.objectContaining({ description: 'wlan0', macaddr: '8c:f5:a3:4e:12:9b', ipaddress: '192.168.1.23', status: 'up', type: 'WIFI' })]);
    expect(inventory.batteries).toEqual([{ chemistry: '', temperature: '31.0c', voltage: '4.12V', level: '87%', health: 'Good', status: 'Dis-charging', capacity: '87' }]);
  });

  it('names each app from its escaped CDATA and keeps every SOFTWARES field', () => {
    const telegram = read(fixture('phone-galaxy-s9.xml')).software.find((app) => app.packageName === 'org.telegram.messenger');
    expect(telegram).toEqual({
      name: 'Telegram', version: '5.0.1', packageName: 'org.telegram.messenger', publisher: null, installDate: '14/10/2018',
      fields: { name: 'Telegram', comments: 'org.telegram.messenger', version: '5.0.1', filesize: '17825792', from: 'Android', installdate: '14/10/2018', folder: '/data/app/org.telegram.messenger-1', no_remove: '1', userid: '10201' },
    });
  });

  it('keeps the sections it does not name under other, and ACCESSLOG with them', () => {
    const { other } = read(fixture('phone-galaxy-s9.xml'));
    expect(Object.keys(other).sort()).toEqual(['accesslog', 'cameras', 'inputs', 'jvms', 'modems', 'storages', 'user', 'videos']);
    expect(other.accesslog).toEqual([{ logdate: '2018-12-10 14:02:33', userid: 'N/A' }]);
    expect(other.modems).toEqual([{ imei: '356938035643809' }]);
    expect(other.storages?.[0]).toMatchObject({ name: 'mmcblk0', disksize: '61071360' });
  });

  it('decodes a 2020 agent where every value is escaped CDATA, keeping the plain network fields as they are', () => {
    const inventory = read(fixture('phone-galaxy-a50-escaped-cdata.xml'));
    expect(inventory.deviceId).toBe('SM-A505FN-2020-03-02-10-11-45');
    expect(inventory.agentVersion).toBe('MDM Agent/2.0.0-rc.6');
    expect(inventory.invitationTag).toBe('invitation_b7e4c2a91d0f3e5a6c8b9d2e1f4a7c0b3d6e9f2a5c8b1d4e7f0a3c6b9d2e5f81');
    expect(inventory.bios).toMatchObject({ ssn: 'RF8M90XYZAB', smanufacturer: 'Samsung', smodel: 'SM-A505FN', assettag: '' });
    expect(inventory.os).toMatchObject({ name: 'Android Q 10.0', version: '29', hostid: '', timezone_name: 'CET' });
    expect(inventory.networks[0]).toMatchObject({ ipaddress: '10.20.4.118', wifi_ssid: 'Entrepot-Nord', macaddr: '02:00:00:00:00:00' });
    expect(inventory.software.map((app) => [app.name, app.version])).toEqual([
      ['Samsung Notes', '4.0.01.18'], ['Météo-France', '5.6.2'], ['Chrome', '80.0.3987.119'], ['Outlook', '4.0.23'], ['Flyve MDM', '2.0.0-rc.6'],
    ]);
    expect(JSON.stringify(inventory)).not.toMatch(/CDATA|&lt;|&gt;/);
  });

  it('reads 300 installed packages', () => {
    const inventory = read(fixture('tablet-galaxy-tab-a-300-packages.xml'));
    expect(inventory.software).toHaveLength(300);
    expect(new Set(inventory.software.map((app) => app.packageName)).size).toBe(300);
    expect(inventory.software.find((app) => app.packageName === 'com.android.chrome')?.version).toBe('77.0.3865.92');
    expect(inventory.software.at(-1)).toMatchObject({ name: 'Flyve MDM', version: '2.0.0-rc.2' });
    expect(inventory.bios.ssn).toBe('R52M60ABCDE');
    expect(inventory.invitationTag).toBeNull();
  });

  it('makes a list of a section written once, and of one written many times', () => {
    const one = read(minimal('<SOFTWARES><NAME>F-Droid</NAME><VERSION>1.5.1</VERSION></SOFTWARES>'));
    expect(one.software).toEqual([{ name: 'F-Droid', version: '1.5.1', packageName: null, publisher: null, installDate: null, fields: { name: 'F-Droid', version: '1.5.1' } }]);
    const two = read(minimal('<SENSORS><NAME>a</NAME></SENSORS><SENSORS><NAME>b</NAME></SENSORS><USBDEVICES><VENDORID>04E8</VENDORID></USBDEVICES>'));
    expect(two.sensors).toEqual([{ name: 'a' }, { name: 'b' }]);
    expect(two.other).toEqual({ usbdevices: [{ vendorid: '04E8' }] });
  });

  it('accepts a BOM, leading whitespace, real CDATA and character references; decodes entities only once', () => {
    const xml = `\uFEFF \n<?xml version="1.0" encoding="utf-8"?>\n${minimal('<BIOS><SSN><![CDATA[R58M&amp;123]]></SSN><SMANUFACTURER>AT&amp;amp;T &#233;&#x41;</SMANUFACTURER><SMODEL>&lt;![CDATA[SM&amp;G]]&gt;</SMODEL></BIOS>')}`;
    expect(read(Buffer.from(xml)).bios).toEqual({ ssn: 'R58M&amp;123', smanufacturer: 'AT&amp;T éA', smodel: 'SM&G' });
    expect(read(xml).bios.ssn).toBe('R58M&amp;123');
  });

  it.each([
    ['a truncated document', fixture('broken-truncated.xml'), /^inventory is not well-formed XML: .+ \(line \d+, column \d+\)$/],
    ['a DOCTYPE declaring entities (XML bomb)', fixture('broken-doctype-entity.xml'), /DOCTYPE or ENTITY.*no entity expansion/],
    ['an ENTITY declaration alone', '<!ENTITY x "y">' + minimal(''), /DOCTYPE or ENTITY/],
    ['a server reply instead of a request', fixture('broken-wrong-root.xml'), /^inventory root is <REPLY>, expected <REQUEST>$/],
    ['a PROLOG request', fixture('broken-prolog-query.xml'), /^inventory QUERY is "PROLOG", expected INVENTORY$/],
    ['no QUERY', '<REQUEST><DEVICEID>d</DEVICEID><CONTENT><BIOS/></CONTENT></REQUEST>', /^inventory has no QUERY/],
    ['no DEVICEID', '<REQUEST><QUERY>INVENTORY</QUERY><CONTENT><BIOS/></CONTENT></REQUEST>', /^inventory has no DEVICEID$/],
    ['an empty DEVICEID', '<REQUEST><QUERY>INVENTORY</QUERY><DEVICEID>&lt;![CDATA[]]&gt;</DEVICEID><CONTENT/></REQUEST>', /^inventory has no DEVICEID$/],
    ['no CONTENT', '<REQUEST><QUERY>INVENTORY</QUERY><DEVICEID>d</DEVICEID></REQUEST>', /^inventory has no CONTENT$/],
    ['two roots', minimal('') + minimal(''), /^inventory is not well-formed XML: Multiple possible root nodes/],
    ['two empty roots, which the validator lets through', '<REQUEST/><REPLY/>', /^inventory must have one root element, found REQUEST, REPLY$/],
    ['a tag the parser refuses', minimal('<__proto__>x</__proto__>'), /^inventory could not be read: /],
    ['not UTF-8', Buffer.from([...Buffer.from(minimal('<BIOS><SSN>')), 0xff, ...Buffer.from('</SSN></BIOS>')]), /^inventory is not UTF-8$/],
    ['nothing but a BOM and blanks', '\uFEFF  \n', /^inventory is empty$/],
    ['over 4 MiB', Buffer.alloc(MAX_INVENTORY_BYTES + 1, 0x20), /^inventory is 4194305 bytes, over the 4 MiB limit$/],
  ])('refuses %s', (_, input, reason) => {
    const reading = parseInventoryXml(input);
    expect(reading.kind).toBe('invalid');
    expect(reading.kind === 'invalid' && reading.reason).toMatch(reason);
  });

  it('counts the 4 MiB limit in UTF-8 bytes for a string', () => {
    const reading = parseInventoryXml(minimal(`<BIOS><SSN>${'é'.repeat(MAX_INVENTORY_BYTES / 2)}</SSN></BIOS>`));
    expect(reading).toEqual({ kind: 'invalid', reason: expect.stringMatching(/over the 4 MiB limit/) });
  });
});

describe('decodeEnrollmentInventory: the base64 `inventory` of an enrollment (flyve-mdm.md §B.3)', () => {
  it('reads base64 wrapped at 76 columns as Android Base64.DEFAULT writes it, and without padding', () => {
    const base64 = fixture('phone-galaxy-a50-escaped-cdata.xml').toString('base64');
    const wrapped = base64.replace(/.{76}/g, '$&\n');
    expect(parseInventoryXml(fixture('phone-galaxy-a50-escaped-cdata.xml'))).toEqual(decodeEnrollmentInventory(wrapped));
    const padded = Buffer.from(minimal('<BIOS><SSN>R58M123ABC</SSN></BIOS>')).toString('base64');
    expect(padded).toMatch(/=$/);
    const reading = decodeEnrollmentInventory(padded.replace(/=+$/, ''));
    expect(reading.kind === 'ok' && reading.inventory.bios.ssn).toBe('R58M123ABC');
  });

  it.each([
    ['not base64', '<REQUEST>…</REQUEST>', /^enrollment inventory is not base64$/],
    ['base64 with broken padding', 'QUJDRA=', /^enrollment inventory is not base64$/],
    ['empty', ' \n', /^enrollment inventory is empty$/],
    ['base64 of something that is not XML', Buffer.from('{"inventory":1}').toString('base64'), /^inventory is not well-formed XML/],
    ['base64 of a PROLOG', fixture('broken-prolog-query.xml').toString('base64'), /QUERY is "PROLOG"/],
  ])('refuses %s', (_, input, reason) => {
    const reading = decodeEnrollmentInventory(input);
    expect(reading.kind === 'invalid' && reading.reason).toMatch(reason);
  });
});
