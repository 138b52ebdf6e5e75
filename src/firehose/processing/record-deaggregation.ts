/**
 * RecordDeAggregation (FIREHOSE-SPEC §10.3, docs dynamic-partitioning-multirecord-deaggergation):
 * one record holding several becomes several. JSON: objects one after another (`{"a":1}{"a":2}`)
 * or one per line (JSONL), not arrays; DELIMITED: split at a custom delimiter. The separators go
 * (hence AppendDelimiterToRecord beside it).
 */

/**
 * "capped at 500 per record": users observe that a record with more is passed on whole, not cut
 * (it then fails jq as "Non JSON record provided") — see the brief's sources in the report.
 */
export const MAX_SUB_RECORDS = 500;

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isJsonWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

/**
 * The JSON objects a record holds, as slices of its bytes, or undefined when the record is not a
 * sequence of JSON objects (an array, a scalar, broken JSON) or holds more than MAX_SUB_RECORDS:
 * such a record stays whole.
 */
export function splitJsonObjects(data: Buffer): Buffer[] | undefined {
  const out: Buffer[] = [];
  let i = 0;
  const n = data.length;
  for (;;) {
    while (i < n && isJsonWhitespace(data[i]!)) i++;
    if (i >= n) break;
    if (data[i] !== OPEN_BRACE) return undefined;
    const start = i;
    let depth = 0;
    let inString = false;
    for (; i < n; i++) {
      const byte = data[i]!;
      if (inString) {
        if (byte === BACKSLASH) i++;
        else if (byte === QUOTE) inString = false;
        continue;
      }
      if (byte === QUOTE) inString = true;
      else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth++;
      else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) break;
      }
    }
    if (i >= n) return undefined; // unterminated
    i++;
    const piece = data.subarray(start, i);
    if (out.length === MAX_SUB_RECORDS) return undefined;
    out.push(piece);
  }
  if (out.length === 0) return undefined;
  // The scan only found the boundaries; each piece must be JSON itself.
  for (const piece of out) {
    try {
      JSON.parse(piece.toString('utf8'));
    } catch {
      return undefined;
    }
  }
  return out;
}

/**
 * The pieces between delimiters, empty pieces left out (a trailing delimiter makes none), or
 * undefined when there are more than MAX_SUB_RECORDS or none at all (the record stays whole).
 */
export function splitDelimited(data: Buffer, delimiter: Buffer): Buffer[] | undefined {
  const out: Buffer[] = [];
  let start = 0;
  for (;;) {
    const at = data.indexOf(delimiter, start);
    const end = at < 0 ? data.length : at;
    if (end > start) {
      if (out.length === MAX_SUB_RECORDS) return undefined;
      out.push(data.subarray(start, end));
    }
    if (at < 0) break;
    start = at + delimiter.length;
  }
  return out.length > 0 ? out : undefined;
}
