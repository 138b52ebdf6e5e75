/**
 * Reversible spellings of Millrace names in NATS, whose subjects and stream names allow fewer
 * characters than our keys and log names (`stream/000000000000/us-east-1/my.stream`,
 * `<stream id>/<shard index>`): letters, digits and '-' stay, every other byte becomes `_XX`
 * (hex). The result has no '.', '*', '>', '/', whitespace or '_' that is not an escape.
 */
export function escapeName(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9-]/.test(c) ? c : '_' + byte.toString(16).padStart(2, '0');
  }
  return out;
}

export function unescapeName(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '_') {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(text.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * KV keys: each '/'-separated segment is escaped and segments are joined with '.', so that a
 * listing by a prefix that ends at a '/' becomes a subject filter (`stream.000000000000.>`).
 * An empty segment is spelled `_` (a lone underscore, never the start of an escape).
 */
export function encodeKey(key: string): string {
  return key
    .split('/')
    .map((segment) => (segment === '' ? '_' : escapeName(segment)))
    .join('.');
}

export function decodeKey(encoded: string): string {
  return encoded
    .split('.')
    .map((segment) => (segment === '_' ? '' : unescapeName(segment)))
    .join('/');
}

/** The KV subject filter that covers every key starting with `prefix` (a superset: filter again). */
export function keyFilter(prefix: string): string {
  const cut = prefix.lastIndexOf('/');
  if (cut < 0) return '>';
  return encodeKey(prefix.slice(0, cut)) + '.>';
}

/** JetStream stream that holds one shard log, and the subject its messages are published on. */
export const logStreamName = (log: string) => `MILLRACE_LOG_${escapeName(log)}`;
export const logSubject = (log: string) => `millrace.log.${escapeName(log)}`;
/** Core NATS subject on which a node announces that a log grew (push to every node's watchers). */
export const logNotifySubject = (log: string) => `millrace.grew.${escapeName(log)}`;

/** The KV bucket holding every metadata document. */
export const METADATA_BUCKET = 'millrace_metadata';
