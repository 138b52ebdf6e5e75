import { RuntimeSqlError } from './errors.js';
import { formatDate, formatSqlTimestamp, formatTime, parseTime, parseTimestamp } from './time-format.js';
import { isIntegral, isNumeric, isString, type SqlType } from './types.js';
import { roundScale, valueToString, type Row } from './values.js';

/**
 * The json, csv and raw formats: decode a record's bytes into a table's physical columns and encode a sink row
 * into bytes, with Flink's options (json.ignore-parse-errors, json.fail-on-missing-field,
 * json.timestamp-format.standard, csv.field-delimiter, …).
 */
export interface Column {
  name: string;
  type: SqlType;
}

export interface Format {
  /** A row of physical column values, or undefined to skip the record (ignore-parse-errors). */
  decode(data: Uint8Array | string): Row | undefined;
  decodeObject(obj: Record<string, unknown>): Row;
  encode(row: Row): Uint8Array;
  /** The text form of an encoded row (print sink, tests). */
  encodeText(row: Row): string;
}

const decoder = new TextDecoder('utf-8');
const encoder = new TextEncoder();
const asText = (d: Uint8Array | string): string => (typeof d === 'string' ? d : decoder.decode(d));

class FieldError extends Error {}

/** Convert a JSON/CSV value to a column's value; throws FieldError when it cannot. */
function convert(v: unknown, ty: SqlType, isoTimestamps: boolean): unknown {
  if (v === null || v === undefined) return null;
  switch (ty.name) {
    case 'VARCHAR': case 'CHAR': return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
    case 'BOOLEAN':
      if (typeof v === 'boolean') return v;
      if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
      throw new FieldError();
    case 'TINYINT': case 'SMALLINT': case 'INT': case 'BIGINT': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v) ? Number(v) : NaN;
      if (!Number.isInteger(n)) throw new FieldError();
      return n;
    }
    case 'FLOAT': case 'DOUBLE': case 'DECIMAL': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      if (Number.isNaN(n)) throw new FieldError();
      return ty.name === 'DECIMAL' ? roundScale(n, ty.scale ?? 0) : n;
    }
    case 'TIMESTAMP': case 'TIMESTAMP_LTZ': {
      if (typeof v === 'number' && ty.name === 'TIMESTAMP_LTZ') return v;
      if (typeof v !== 'string') throw new FieldError();
      // SQL standard 'yyyy-MM-dd HH:mm:ss.s{precision}' or ISO-8601 'yyyy-MM-ddTHH:mm:ss.s{precision}'; both are read
      void isoTimestamps;
      const ms = parseTimestamp(v);
      if (ms === undefined) throw new FieldError();
      return ms;
    }
    case 'DATE': {
      const ms = typeof v === 'string' ? parseTimestamp(v) : undefined;
      if (ms === undefined) throw new FieldError();
      return ms;
    }
    case 'TIME': {
      const ms = typeof v === 'string' ? parseTime(v) : undefined;
      if (ms === undefined) throw new FieldError();
      return ms;
    }
    case 'VARBINARY': case 'BINARY':
      if (typeof v !== 'string') throw new FieldError();
      return new Uint8Array(Buffer.from(v, 'base64'));
    case 'ARRAY':
      if (!Array.isArray(v)) throw new FieldError();
      return v.map((x) => convert(x, ty.element!, isoTimestamps));
    case 'MAP':
      if (typeof v !== 'object') throw new FieldError();
      return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, convert(x, ty.element!, isoTimestamps)]));
    case 'ROW': {
      if (typeof v !== 'object' || Array.isArray(v)) throw new FieldError();
      const o = v as Record<string, unknown>;
      return Object.fromEntries((ty.fields ?? []).map((f) => [f.name, convert(o[f.name], f.type, isoTimestamps)]));
    }
    default: return v;
  }
}

/** A value as Flink's JSON format writes it. */
function jsonValue(v: unknown, ty: SqlType, iso: boolean): string {
  if (v === null || v === undefined) return 'null';
  switch (ty.name) {
    case 'DECIMAL': return (v as number).toFixed(ty.scale ?? 0);
    case 'FLOAT': case 'DOUBLE': return Number.isFinite(v as number) ? String(v) : JSON.stringify(String(v));
    case 'TIMESTAMP': return JSON.stringify(formatSqlTimestamp(v as number, ty.precision ?? 3, iso ? 'T' : ' '));
    case 'TIMESTAMP_LTZ': return JSON.stringify(formatSqlTimestamp(v as number, ty.precision ?? 3, iso ? 'T' : ' ') + 'Z');
    case 'DATE': return JSON.stringify(formatDate(v as number));
    case 'TIME': return JSON.stringify(formatTime(v as number));
    case 'VARBINARY': case 'BINARY': return JSON.stringify(Buffer.from(v as Uint8Array).toString('base64'));
    case 'CHAR': case 'VARCHAR': return JSON.stringify(v);
    case 'ARRAY': return `[${(v as unknown[]).map((x) => jsonValue(x, ty.element!, iso)).join(',')}]`;
    case 'ROW': return `{${(ty.fields ?? []).map((f) => `${JSON.stringify(f.name)}:${jsonValue((v as Record<string, unknown>)[f.name], f.type, iso)}`).join(',')}}`;
    case 'MAP': return `{${Object.entries(v as object).map(([k, x]) => `${JSON.stringify(k)}:${jsonValue(x, ty.element!, iso)}`).join(',')}}`;
    default: return JSON.stringify(v);
  }
}

export function createFormat(name: string, columns: Column[], options: Record<string, string>): Format {
  switch (name) {
    case 'json': return jsonFormat(columns, options);
    case 'csv': return csvFormat(columns, options);
    case 'raw': return rawFormat(columns, options);
  }
  throw new RuntimeSqlError(`Unknown format '${name}'`);
}

function jsonFormat(columns: Column[], options: Record<string, string>): Format {
  const ignore = options['json.ignore-parse-errors'] === 'true';
  const failMissing = options['json.fail-on-missing-field'] === 'true';
  const iso = options['json.timestamp-format.standard'] === 'ISO-8601';
  const ignoreNulls = options['json.encode.ignore-null-fields'] === 'true';
  const names = columns.map((c) => c.name);
  const keys = names.map((n) => JSON.stringify(n) + ':');
  const decodeObject = (obj: Record<string, unknown>): Row => {
    const row: Row = new Array(columns.length);
    for (let i = 0; i < columns.length; i++) {
      const c = columns[i]!;
      const v = obj[c.name];
      if (v === undefined && failMissing) throw new FieldError(`missing ${c.name}`);
      try {
        row[i] = convert(v, c.type, iso);
      } catch (e) {
        if (!(e instanceof FieldError) || !ignore) throw e;
        row[i] = null;
      }
    }
    return row;
  };
  return {
    decode(data) {
      const text = asText(data);
      try {
        const obj = JSON.parse(text) as unknown;
        if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new FieldError('not an object');
        return decodeObject(obj as Record<string, unknown>);
      } catch (e) {
        if (ignore) return undefined;
        throw new RuntimeSqlError(`Failed to deserialize JSON '${text.length > 200 ? text.slice(0, 200) + '…' : text}'.`, 'java.io.IOException');
      }
    },
    decodeObject(obj) {
      try {
        return decodeObject(obj);
      } catch {
        throw new RuntimeSqlError(`Failed to deserialize JSON '${JSON.stringify(obj)}'.`, 'java.io.IOException');
      }
    },
    encodeText(row) {
      let s = '{';
      let first = true;
      for (let i = 0; i < columns.length; i++) {
        if (ignoreNulls && row[i] === null) continue;
        s += (first ? '' : ',') + keys[i] + jsonValue(row[i], columns[i]!.type, iso);
        first = false;
      }
      return s + '}';
    },
    encode(row) {
      return encoder.encode(this.encodeText(row));
    },
  };
}

/** Split one CSV line honouring the quote character ("" inside quotes is a quote). */
function splitCsv(line: string, delim: string, quote: string | undefined): string[] {
  const out: string[] = [];
  let cur = '';
  let inQuotes = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote !== undefined && ch === quote) {
      if (inQuotes && line[i + 1] === quote) { cur += quote; i++; }
      else { inQuotes = !inQuotes; quoted = true; }
    } else if (!inQuotes && line.startsWith(delim, i)) {
      out.push(cur);
      cur = '';
      quoted = false;
      i += delim.length - 1;
    } else cur += ch;
  }
  void quoted;
  out.push(cur);
  return out;
}

function csvFormat(columns: Column[], options: Record<string, string>): Format {
  const delim = (options['csv.field-delimiter'] ?? ',').replace(/^\\t$/, '\t');
  const quote = options['csv.disable-quote-character'] === 'true' ? undefined : options['csv.quote-character'] ?? '"';
  const ignore = options['csv.ignore-parse-errors'] === 'true';
  const nullLiteral = options['csv.null-literal'];
  const convertCell = (cell: string, c: Column): unknown => {
    if (nullLiteral !== undefined && cell === nullLiteral) return null;
    if (cell === '' && !isString(c.type)) return null;
    return convert(cell, c.type, false);
  };
  const decodeLine = (text: string): Row | undefined => {
    const line = text.replace(/\r?\n$/, '');
    const cells = splitCsv(line, delim, quote);
    const row: Row = new Array(columns.length);
    for (let i = 0; i < columns.length; i++) {
      const cell = cells[i];
      if (cell === undefined) { row[i] = null; continue; }
      try {
        row[i] = convertCell(cell, columns[i]!);
      } catch {
        if (ignore) { row[i] = null; continue; }
        throw new RuntimeSqlError(`Failed to deserialize CSV row '${line}'.`, 'java.io.IOException');
      }
    }
    return row;
  };
  const cellText = (v: unknown, ty: SqlType): string => {
    if (v === null || v === undefined) return nullLiteral ?? '';
    let s: string;
    if (ty.name === 'TIMESTAMP' || ty.name === 'TIMESTAMP_LTZ') s = formatSqlTimestamp(v as number, ty.precision ?? 3);
    else if (ty.name === 'DECIMAL') s = (v as number).toFixed(ty.scale ?? 0);
    else if (isNumeric(ty) || ty.name === 'BOOLEAN') s = isIntegral(ty) || ty.name === 'BOOLEAN' ? String(v) : String(v);
    else if (ty.name === 'DATE') s = formatDate(v as number);
    else s = isString(ty) ? (v as string) : valueToString(v, ty);
    if (quote !== undefined && (s.includes(delim) || s.includes(quote) || s.includes('\n'))) s = quote + s.split(quote).join(quote + quote) + quote;
    return s;
  };
  return {
    decode(data) {
      return decodeLine(asText(data));
    },
    decodeObject(obj) {
      return columns.map((c) => convert(obj[c.name], c.type, false));
    },
    encodeText(row) {
      return columns.map((c, i) => cellText(row[i], c.type)).join(delim);
    },
    encode(row) {
      return encoder.encode(this.encodeText(row) + '\n');
    },
  };
}

function rawFormat(columns: Column[], options: Record<string, string>): Format {
  if (columns.length !== 1) {
    throw new RuntimeSqlError(`The 'raw' format only supports single physical column. However the defined schema contains multiple physical columns: [${columns.map((c) => `\`${c.name}\``).join(', ')}]`, 'org.apache.flink.table.api.ValidationException');
  }
  void options;
  const col = columns[0]!;
  const binary = col.type.name === 'VARBINARY' || col.type.name === 'BINARY';
  return {
    decode(data) {
      if (binary) return [typeof data === 'string' ? encoder.encode(data) : data];
      return [asText(data)];
    },
    decodeObject(obj) {
      return [obj[col.name] ?? null];
    },
    encodeText(row) {
      const v = row[0];
      if (v === null || v === undefined) return '';
      return binary ? decoder.decode(v as Uint8Array) : valueToString(v, col.type);
    },
    encode(row) {
      const v = row[0];
      if (v === null || v === undefined) return new Uint8Array(0);
      return binary ? (v as Uint8Array) : encoder.encode(valueToString(v, col.type));
    },
  };
}
