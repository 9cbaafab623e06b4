/**
 * Field maps of one inventory section: the FusionInventory tag lowercased (`SSN` → `ssn`,
 * `KERNEL_VERSION` → `kernel_version`, `WIFI_SSID` → `wifi_ssid`), a nested element joined with `_`
 * (`OPERATINGSYSTEM/TIMEZONE/NAME` → `timezone_name`), each value a trimmed string. A tag repeated inside
 * one item (the library's list values) keeps every value, joined with `, `.
 */
export type InventoryFields = Record<string, string>;

const XML_ENTITY = /&(lt|gt|amp|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/g;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const CDATA_MARKERS = /<!\[CDATA\[([\s\S]*?)\]\]>/g;

function decodeEntity(whole: string, name: string): string {
  const predefined = PREDEFINED[name];
  if (predefined !== undefined) return predefined;
  const code = name.startsWith('#x') ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
  const isChar = code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
  return isChar ? String.fromCodePoint(code) : whole;
}

/**
 * The text of one element as the agent meant it. The parser leaves entities alone, so they are decoded here
 * exactly once (XML1: the five predefined entities and character references; anything else is left as
 * written). Since May 2018 the library wraps values in `<![CDATA[…]]>` through the serializer's text method,
 * so they arrive escaped (flyve-mdm.md §B.5): once decoded, those literal markers are stripped.
 */
export function textOf(raw: unknown): string {
  if (typeof raw !== 'string') return '';
  return raw.replace(XML_ENTITY, decodeEntity).replace(CDATA_MARKERS, (_, inner: string) => inner).trim();
}

const COMMENT_OR_PI_OR_CDATA = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[([\s\S]*?)\]\]>/g;

/**
 * Real CDATA sections rewritten as escaped text, so every value goes through the one decoding of
 * {@link textOf} and a literal `&amp;` inside a CDATA section stays literal. Comments and processing
 * instructions are matched only to be skipped, so a `<![CDATA[` inside them is not taken for one.
 */
export function cdataAsText(xml: string): string {
  return xml.replace(COMMENT_OR_PI_OR_CDATA, (whole, inner: string | undefined) =>
    inner === undefined ? whole : inner.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
}

function collect(node: unknown, key: string, into: Map<string, string[]>): void {
  if (Array.isArray(node)) {
    for (const item of node) collect(item, key, into);
  } else if (node !== null && typeof node === 'object') {
    for (const [tag, child] of Object.entries(node)) {
      const name = tag === '#text' ? key || 'text' : key === '' ? tag.toLowerCase() : `${key}_${tag.toLowerCase()}`;
      collect(child, name, into);
    }
  } else {
    into.set(key || 'text', [...(into.get(key || 'text') ?? []), textOf(node)]);
  }
}

/** One section element (`<BIOS>…</BIOS>`) as a field map; an empty element is an empty map. */
export function fieldsOf(node: unknown): InventoryFields {
  if (typeof node === 'string' && textOf(node) === '') return {};
  const values = new Map<string, string[]>();
  collect(node, '', values);
  // Object.fromEntries defines own properties, so a tag such as __PROTO__ cannot reach a prototype.
  return Object.fromEntries([...values].map(([key, texts]) => [key, texts.join(', ')]));
}
