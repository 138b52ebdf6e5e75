/**
 * DiscoverInputSchema's inference (§3.4: AWS's rules are undocumented; §9.1's workable design):
 * JSON objects → one column per top-level member, mapped `$.member`; otherwise CSV split on commas.
 * Strings are VARCHAR(n) with n the longest value rounded up to a power of two (at least 4);
 * integers INTEGER or BIGINT by range; other numbers DOUBLE; booleans BOOLEAN.
 */

/** Records looked at, at most (AWS samples a stream's first records; the count is UNVERIFIED). */
export const DISCOVERY_SAMPLE_RECORDS = 100;
const INT_MAX = 2 ** 31 - 1;

export interface DiscoveredSchema {
  InputSchema: Record<string, unknown>;
  ParsedInputRecords: string[][];
  ProcessedInputRecords: string[];
  RawInputRecords: string[];
}

export function discoverSchema(records: string[]): DiscoveredSchema | undefined {
  const sample = records.map((r) => r.trim()).filter((r) => r.length > 0).slice(0, DISCOVERY_SAMPLE_RECORDS);
  if (sample.length === 0) return undefined;
  const objects = sample.map(parseObject);
  if (objects.every((o) => o !== undefined)) {
    const columns = new Map<string, unknown[]>();
    for (const o of objects as Record<string, unknown>[]) for (const [k, v] of Object.entries(o)) (columns.get(k) ?? columns.set(k, []).get(k)!).push(v);
    const names = [...columns.keys()];
    return {
      InputSchema: {
        RecordFormat: { RecordFormatType: 'JSON', MappingParameters: { JSONMappingParameters: { RecordRowPath: '$' } } },
        RecordEncoding: 'UTF-8',
        RecordColumns: names.map((name) => ({ Name: name, Mapping: `$.${name}`, SqlType: sqlType(columns.get(name)!) })),
      },
      ParsedInputRecords: (objects as Record<string, unknown>[]).map((o) => names.map((n) => (o[n] === undefined ? '' : typeof o[n] === 'string' ? (o[n] as string) : JSON.stringify(o[n])))),
      ProcessedInputRecords: sample,
      RawInputRecords: sample,
    };
  }
  const rows = sample.map((r) => r.split(','));
  const width = Math.max(...rows.map((r) => r.length));
  return {
    InputSchema: {
      RecordFormat: { RecordFormatType: 'CSV', MappingParameters: { CSVMappingParameters: { RecordRowDelimiter: '\n', RecordColumnDelimiter: ',' } } },
      RecordEncoding: 'UTF-8',
      RecordColumns: Array.from({ length: width }, (_, i) => ({ Name: `COL_${i + 1}`, SqlType: sqlType(rows.map((r) => csvValue(r[i]))) })),
    },
    ParsedInputRecords: rows,
    ProcessedInputRecords: sample,
    RawInputRecords: sample,
  };
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function csvValue(text: string | undefined): unknown {
  if (text === undefined || text === '') return undefined;
  if (/^-?\d+$/.test(text)) return Number(text);
  if (/^-?\d*\.\d+$/.test(text)) return Number(text);
  return text;
}

function sqlType(values: unknown[]): string {
  const present = values.filter((v) => v !== undefined && v !== null);
  if (present.length > 0 && present.every((v) => typeof v === 'boolean')) return 'BOOLEAN';
  if (present.length > 0 && present.every((v) => typeof v === 'number')) {
    const numbers = present as number[];
    if (numbers.every(Number.isInteger)) return numbers.every((n) => Math.abs(n) <= INT_MAX) ? 'INTEGER' : 'BIGINT';
    return 'DOUBLE';
  }
  const longest = Math.max(1, ...present.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)).length));
  let width = 4;
  while (width < longest) width *= 2;
  return `VARCHAR(${width})`;
}
