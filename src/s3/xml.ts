import { createRequire } from 'node:module';
import type { XMLParser } from 'fast-xml-parser';
import { malformedXml } from './errors.js';

/** S3's response documents: the 2006-03-01 namespace on the root element, as S3 writes it. */
export const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';
const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** Text and attribute values; characters XML 1.0 cannot carry at all become character references S3 also emits. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&'"\r]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A value tree: strings and numbers are text, arrays repeat the element, undefined omits it. */
export type XmlValue = string | number | boolean | undefined | XmlValue[] | { [name: string]: XmlValue };

function element(name: string, value: XmlValue): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return value.map((item) => element(name, item)).join('');
  if (typeof value === 'object') return `<${name}>${children(value)}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

function children(value: { [name: string]: XmlValue }): string {
  let out = '';
  for (const [name, child] of Object.entries(value)) out += element(name, child);
  return out;
}

/** A whole response document with S3's namespace on its root. */
export function xmlDocument(root: string, value: { [name: string]: XmlValue }, namespace = true): string {
  return `${DECLARATION}<${root}${namespace ? ` xmlns="${S3_NAMESPACE}"` : ''}>${children(value)}</${root}>`;
}

/** A root element with text only, e.g. GetBucketLocation's `<LocationConstraint>`. */
export function xmlTextDocument(root: string, text: string): string {
  return `${DECLARATION}<${root} xmlns="${S3_NAMESPACE}">${escapeXml(text)}</${root}>`;
}

/**
 * The parser, loaded on the first request document: only a few operations send one, and loading
 * the package was a tenth of a default start.
 */
let fxp: { parser: XMLParser; validate: (text: string) => true | object } | undefined;
function xmlParser(): NonNullable<typeof fxp> {
  if (fxp) return fxp;
  const { XMLParser, XMLValidator } = createRequire(import.meta.url)('fast-xml-parser') as typeof import('fast-xml-parser');
  const parser = new XMLParser({
    ignoreAttributes: true,
    removeNSPrefix: true,
    // Keys, ETags and numbers stay text: `<Key>007</Key>` is not 7.
    parseTagValue: false,
    trimValues: false,
    processEntities: true,
    // Elements that repeat in the request documents S3 reads; always arrays, even when one is sent.
    isArray: (name) => name === 'Part' || name === 'Object',
  });
  fxp = { parser, validate: (text) => XMLValidator.validate(text) };
  return fxp;
}

/**
 * A request document parsed into plain objects, or MalformedXML when it is not well-formed or its
 * root is not `root` (S3 answers both the same way).
 */
export function parseXml(body: Buffer, root: string): Record<string, unknown> {
  const text = body.toString('utf8');
  const { parser, validate } = xmlParser();
  if (validate(text) !== true) throw malformedXml();
  const parsed = parser.parse(text) as Record<string, unknown>;
  const document = parsed[root];
  if (document === undefined) throw malformedXml();
  // An empty root element parses as ''.
  return typeof document === 'object' && document !== null ? (document as Record<string, unknown>) : {};
}
