import { describe, expect, it } from 'vitest';
import { readGeolocation } from './geolocation.handler.js';
import { readInstall, readInventory, readOnline, readPing, readTaskStatuses, readUnenroll } from './status-readers.js';

const b = (text: string) => Buffer.from(text);

describe('Flyve status payloads (flyve-mdm.md §A, §B.8)', () => {
  it('Ping: only "!"', () => {
    expect(readPing(b('!'))).toEqual({ kind: 'ok', value: true });
    for (const bad of ['', '!!', '?', '"!"', ' !']) expect(readPing(b(bad)).kind).toBe('invalid');
  });

  it('Online: strict booleans, and the strings of 2017 agents read strictly', () => {
    expect(readOnline(b('{ "online": false }'))).toEqual({ kind: 'ok', value: false }); // fixture 25
    expect(readOnline(b('{"online": true}'))).toEqual({ kind: 'ok', value: true }); // fixture 26
    expect(readOnline(b('{"online":"false"}'))).toEqual({ kind: 'ok', value: false }); // not "online" as PHP read it
    for (const bad of ['{"online":1}', '{"online":"yes"}', '{}', 'true', '{"online":null}']) expect(readOnline(b(bad)).kind).toBe('invalid');
  });

  it('Task: the per-task form and the updateStatus list; ids as numbers or strings', () => {
    expect(readTaskStatuses(['20'], b('{ "status": "received" }'))).toEqual({ kind: 'ok', value: [{ taskId: '20', status: 'received' }] }); // fixture 32
    expect(readTaskStatuses([], b('{"updateStatus":[{"taskId":"12","status":"in progress"},{"taskId":14,"status":"download"},{"taskId":"15","status":"done"}]}'))).toEqual({
      kind: 'ok',
      value: [
        { taskId: '12', status: 'in progress' },
        { taskId: '14', status: 'download' },
        { taskId: '15', status: 'done' },
      ],
    });
  });

  it.each([
    ['a reserved status (queued)', ['7'], '{"status":"queued"}', /reserved/],
    ['a reserved status (pushed), in any case', ['7'], '{"status":"Pushed"}', /reserved/],
    ['a status over 255 characters', ['7'], JSON.stringify({ status: 'x'.repeat(256) }), /255|too big|at most/i],
    ['an empty status', ['7'], '{"status":""}', /status/],
    ['a status that is not a string', ['7'], '{"status":3}', /must be a string/],
    ['a task id with a slash or dot', ['7.1'], '{"status":"done"}', /taskId/],
    ['a list with one bad entry', [], '{"updateStatus":[{"taskId":"1","status":"done"},{"taskId":"2","status":"queued"}]}', /reserved/],
    ['an empty list', [], '{"updateStatus":[]}', /updateStatus/],
    ['a negative numeric id', [], '{"updateStatus":[{"taskId":-1,"status":"done"}]}', /taskId/],
    ['a deeper topic', ['7', 'x'], '{"status":"done"}', /Status\/Task/],
    ['not JSON', ['7'], 'done', /not JSON/],
  ])('Task: refuses %s', (_, rest, payload, reason) => {
    const reading = readTaskStatuses(rest, b(payload));
    expect(reading.kind).toBe('invalid');
    expect(reading.kind === 'invalid' && reading.reason).toMatch(reason);
  });

  it('Inventory: well-formed FusionInventory XML, with the escaped-CDATA quirk tolerated and kept as received', () => {
    const quirk = `<?xml version='1.0' encoding='utf-8' standalone='yes' ?><REQUEST><QUERY>&lt;![CDATA[INVENTORY]]&gt;</QUERY><ITEMTYPE>&lt;![CDATA[Phone]]&gt;</ITEMTYPE><DEVICEID>&lt;![CDATA[SM-G960F-2018-12-10-14-02-33]]&gt;</DEVICEID><CONTENT><HARDWARE><NAME>&lt;![CDATA[SM-G960F]]&gt;</NAME></HARDWARE></CONTENT></REQUEST>`;
    expect(readInventory(b(quirk))).toEqual({ kind: 'ok', value: { document: quirk, inventoryDeviceId: 'SM-G960F-2018-12-10-14-02-33' } });
    const plain = '<?xml version="1.0"?><REQUEST><QUERY>INVENTORY</QUERY><DEVICEID>phone-2020</DEVICEID><CONTENT/></REQUEST>';
    expect(readInventory(b(plain))).toMatchObject({ kind: 'ok', value: { inventoryDeviceId: 'phone-2020' } });
    for (const bad of ['<REQUEST><QUERY>INVENTORY</QUERY>', '{"inventory":1}', '<OTHER/>', '<REQUEST><QUERY>PROLOG</QUERY></REQUEST>']) expect(readInventory(b(bad)).kind).toBe('invalid');
    // Well-formed, but the XML parser refuses it: an answer, not an exception.
    expect(readInventory(b('<REQUEST><QUERY>INVENTORY</QUERY><DEVICEID>d</DEVICEID><CONTENT><__proto__>x</__proto__></CONTENT></REQUEST>'))).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/cannot be read/) });
  });

  it('Unenroll and the legacy Install ack', () => {
    expect(readUnenroll(b('{"unenroll": "unenrolled"}'))).toEqual({ kind: 'ok', value: true }); // fixture 35
    expect(readUnenroll(b('{"unenroll":"now"}')).kind).toBe('invalid');
    expect(readInstall(b('{"ack":"org.fdroid.fdroid"}'))).toEqual({ kind: 'ok', value: 'org.fdroid.fdroid' }); // fixture 40
    expect(readInstall(b('{"ack":"../../etc"}')).kind).toBe('invalid');
  });

  it('Geolocation without a fix: recorded with its time; a "gps" value other than off is not a fix either', () => {
    expect(readGeolocation('d', b('{"datetime":1476345332,"gps":"off"}'))).toEqual({ kind: 'no-fix', reportedAt: new Date(1476345332 * 1000) }); // fixture 29
    expect(readGeolocation('d', b('{"gps":"off"}')).kind).toBe('invalid'); // no datetime: dropped (§B.5)
    expect(readGeolocation('d', b('{"datetime":1476345332,"gps":"on"}')).kind).toBe('invalid');
  });
});
