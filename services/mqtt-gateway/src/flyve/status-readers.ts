import { ReportedTaskId, ReportedTaskStatus } from '@flotilla/contracts';
import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** A reading of a `Status/*` payload: what it says, or why it is refused. */
export type Reading<T> = { kind: 'ok'; value: T } | { kind: 'invalid'; reason: string };

const ok = <T>(value: T): Reading<T> => ({ kind: 'ok', value });
const invalid = (reason: string): Reading<never> => ({ kind: 'invalid', reason });

function jsonObject(payload: Buffer): Reading<Record<string, unknown>> {
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    return invalid('payload is not JSON');
  }
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? ok(body as Record<string, unknown>) : invalid('payload is not a JSON object');
}

/** `Status/Ping`: exactly `!` (flyve-mdm.md §B.5: the only accepted pong). */
export function readPing(payload: Buffer): Reading<true> {
  return payload.toString('utf8') === '!' ? ok(true) : invalid('a ping answer is the single character "!"');
}

/**
 * `Status/Online` `{"online":true|false}`. 2017 agents sent the strings `"true"`/`"false"`: read strictly
 * (the original backend compared loosely, so `"false"` meant online, §B.5); anything else is refused.
 */
export function readOnline(payload: Buffer): Reading<boolean> {
  const body = jsonObject(payload);
  if (body.kind === 'invalid') return body;
  const { online } = body.value;
  if (online === true || online === 'true') return ok(true);
  if (online === false || online === 'false') return ok(false);
  return invalid('"online" must be true or false');
}

/** One task status a device reported. */
export interface TaskStatusReport {
  taskId: string;
  status: string;
}

function taskStatus(taskId: unknown, status: unknown): Reading<TaskStatusReport> {
  const id = typeof taskId === 'number' && Number.isInteger(taskId) && taskId >= 0 ? String(taskId) : taskId;
  const parsedId = ReportedTaskId.safeParse(id);
  if (!parsedId.success) return invalid(`taskId ${JSON.stringify(taskId)} ${parsedId.error.issues[0]?.message ?? 'is invalid'}`);
  if (typeof status !== 'string') return invalid(`status of task ${parsedId.data} must be a string`);
  const parsedStatus = ReportedTaskStatus.safeParse(status);
  if (!parsedStatus.success) return invalid(`status of task ${parsedId.data} ${parsedStatus.error.issues[0]?.message ?? 'is invalid'}`);
  return ok({ taskId: parsedId.data, status: parsedStatus.data });
}

/**
 * Task progress: `Status/Task/<id>` `{"status":"done"}` (§B.2, per-task agents) or `Status/Task`
 * `{"updateStatus":[{"taskId":"12","status":"in progress"},…]}` (§A.4). A message with one bad entry is
 * refused whole, so a device never sees half of a report taken.
 */
export function readTaskStatuses(rest: readonly string[], payload: Buffer): Reading<TaskStatusReport[]> {
  const body = jsonObject(payload);
  if (body.kind === 'invalid') return body;
  if (rest.length === 1) {
    const one = taskStatus(rest[0], body.value.status);
    return one.kind === 'ok' ? ok([one.value]) : one;
  }
  if (rest.length > 1) return invalid('expected Status/Task or Status/Task/<taskId>');
  const { updateStatus } = body.value;
  if (!Array.isArray(updateStatus) || updateStatus.length === 0 || updateStatus.length > 500) return invalid('"updateStatus" must be a list of 1 to 500 {taskId, status}');
  const reports: TaskStatusReport[] = [];
  for (const entry of updateStatus) {
    if (typeof entry !== 'object' || entry === null) return invalid('each "updateStatus" entry must be an object');
    const one = taskStatus((entry as Record<string, unknown>).taskId, (entry as Record<string, unknown>).status);
    if (one.kind === 'invalid') return one;
    reports.push(one.value);
  }
  return ok(reports);
}

/** An inventory as read: the document as received and the `DEVICEID` it names. */
export interface InventoryReading {
  document: string;
  inventoryDeviceId: string | null;
}

const CDATA_ESCAPED = /&lt;!\[CDATA\[([\s\S]*?)\]\]&gt;/g;
const inventoryParser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, processEntities: false });

/**
 * `Status/Inventory`: FusionInventory XML (§B.5), kept as received. It must be well-formed XML with a
 * `REQUEST` root; the escaped-CDATA quirk of 2018 agents (`&lt;![CDATA[…]]&gt;`) is read as the text it
 * wraps. Parsing it into tables is the inventory service's work.
 */
export function readInventory(payload: Buffer): Reading<InventoryReading> {
  const document = payload.toString('utf8');
  if (document.includes('\uFFFD')) return invalid('inventory is not UTF-8');
  const unescaped = document.replace(CDATA_ESCAPED, (_, text: string) => text);
  const valid = XMLValidator.validate(unescaped);
  if (valid !== true) return invalid(`inventory is not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  let parsed: { REQUEST?: { DEVICEID?: unknown; QUERY?: unknown } };
  try {
    parsed = inventoryParser.parse(unescaped) as typeof parsed;
  } catch (error) {
    // The parser refuses some well-formed documents, e.g. a `<__proto__>` element.
    return invalid(`inventory cannot be read: ${(error as Error).message}`);
  }
  if (!parsed.REQUEST || typeof parsed.REQUEST !== 'object') return invalid('inventory has no REQUEST root');
  const query = typeof parsed.REQUEST.QUERY === 'string' ? parsed.REQUEST.QUERY.trim() : '';
  if (query !== '' && query !== 'INVENTORY') return invalid(`inventory QUERY is ${JSON.stringify(query)}, expected INVENTORY`);
  const deviceId = typeof parsed.REQUEST.DEVICEID === 'string' ? parsed.REQUEST.DEVICEID.trim() || null : null;
  return ok({ document, inventoryDeviceId: deviceId });
}

/** `Status/Unenroll` `{"unenroll":"unenrolled"}` (§A.3). */
export function readUnenroll(payload: Buffer): Reading<true> {
  const body = jsonObject(payload);
  if (body.kind === 'invalid') return body;
  return body.value.unenroll === 'unenrolled' ? ok(true) : invalid('"unenroll" must be "unenrolled"');
}

/** Legacy (G1) `Status/Install` `{"ack":"<package name>"}` (§B.6). */
export function readInstall(payload: Buffer): Reading<string> {
  const body = jsonObject(payload);
  if (body.kind === 'invalid') return body;
  const { ack } = body.value;
  return typeof ack === 'string' && /^[A-Za-z0-9_.-]{1,255}$/.test(ack) ? ok(ack) : invalid('"ack" must be a package name');
}
