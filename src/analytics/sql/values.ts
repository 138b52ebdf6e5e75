import { RuntimeSqlError } from './errors.js';
import { castTimestampToString, formatDate, formatTime, parseTime, parseTimestamp } from './time-format.js';
import { isIntegral, isNumeric, isString, typeToString, type SqlType } from './types.js';

export type Row = unknown[];

/** Round a DECIMAL value to its scale (values are JS numbers; see types.ts). */
export function roundScale(v: number, scale: number): number {
  const f = 10 ** scale;
  return Math.round((v + Number.EPSILON * Math.sign(v)) * f) / f;
}

/** A value's text as CAST(x AS STRING) prints it. */
export function valueToString(v: unknown, ty: SqlType): string {
  if (v === null || v === undefined) return 'NULL';
  switch (ty.name) {
    case 'DECIMAL': return (v as number).toFixed(ty.scale ?? 0);
    case 'FLOAT': case 'DOUBLE': {
      const n = v as number;
      if (Number.isInteger(n) && Math.abs(n) < 1e7) return n.toFixed(1);
      const s = String(n);
      return s.includes('e') ? s.replace('e+', 'E').replace('e-', 'E-') : s;
    }
    case 'TIMESTAMP': case 'TIMESTAMP_LTZ': return castTimestampToString(v as number, ty.precision ?? 6);
    case 'DATE': return formatDate(v as number);
    case 'TIME': return formatTime(v as number);
    case 'VARBINARY': case 'BINARY': return Buffer.from(v as Uint8Array).toString('utf8');
    case 'BOOLEAN': return v ? 'TRUE' : 'FALSE';
    case 'ARRAY': return `[${(v as unknown[]).map((x) => valueToString(x, ty.element ?? ty)).join(', ')}]`;
    case 'MAP': case 'ROW': return JSON.stringify(v);
    default: return String(v);
  }
}

function castError(v: unknown, to: SqlType): never {
  throw new RuntimeSqlError(`Could not cast '${String(v)}' to ${typeToString(to)}`, 'org.apache.flink.table.api.TableRuntimeException');
}

const INT_RANGE: Record<string, [number, number]> = {
  TINYINT: [-128, 127], SMALLINT: [-32768, 32767], INT: [-2147483648, 2147483647], BIGINT: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/** Build the conversion function for CAST(from AS to) once; TRY_CAST (safe) answers NULL where CAST throws. */
export function castFn(from: SqlType, to: SqlType, safe: boolean): (v: unknown) => unknown {
  const fail = safe ? () => null : castError;
  if (isString(to)) {
    const max = to.precision ?? Infinity;
    if (to.name === 'CHAR') return (v) => (v === null ? null : valueToString(v, from).padEnd(max).slice(0, max));
    return (v) => {
      if (v === null) return null;
      const s = isString(from) ? (v as string) : valueToString(v, from);
      return s.length > max ? s.slice(0, max) : s;
    };
  }
  if (isIntegral(to)) {
    const [lo, hi] = INT_RANGE[to.name]!;
    return (v) => {
      if (v === null) return null;
      let n: number;
      if (typeof v === 'number') n = Math.trunc(v);
      else if (typeof v === 'boolean') n = v ? 1 : 0;
      else if (typeof v === 'string') {
        const s = v.trim();
        if (!/^[+-]?\d+(\.\d*)?$/.test(s)) return fail(v, to);
        n = Math.trunc(Number(s));
      } else return fail(v, to);
      if (n < lo || n > hi) {
        if (typeof v === 'string') return fail(v, to);
        // Java's narrowing conversion wraps around
        const range = hi - lo + 1;
        n = ((((n - lo) % range) + range) % range) + lo;
      }
      return n;
    };
  }
  if (isNumeric(to)) {
    const scale = to.name === 'DECIMAL' ? to.scale ?? 0 : undefined;
    return (v) => {
      if (v === null) return null;
      let n: number;
      if (typeof v === 'number') n = v;
      else if (typeof v === 'boolean') n = v ? 1 : 0;
      else if (typeof v === 'string') {
        const s = v.trim();
        if (s === '' || Number.isNaN(Number(s))) return fail(v, to);
        n = Number(s);
      } else return fail(v, to);
      return scale === undefined ? n : roundScale(n, scale);
    };
  }
  switch (to.name) {
    case 'BOOLEAN':
      return (v) => {
        if (v === null) return null;
        if (typeof v === 'boolean') return v;
        if (typeof v === 'number') return v !== 0;
        const s = String(v).trim().toLowerCase();
        if (['true', 't', 'yes', 'y', '1'].includes(s)) return true;
        if (['false', 'f', 'no', 'n', '0'].includes(s)) return false;
        return fail(v, to);
      };
    case 'TIMESTAMP': case 'TIMESTAMP_LTZ':
      return (v) => {
        if (v === null) return null;
        if (typeof v === 'number') return isNumeric(from) ? v * 1000 : v; // numeric → epoch seconds (TIMESTAMP_LTZ rule)
        const ms = parseTimestamp(String(v));
        return ms === undefined ? fail(v, to) : ms;
      };
    case 'DATE':
      return (v) => {
        if (v === null) return null;
        if (typeof v === 'number') return Math.floor(v / 86_400_000) * 86_400_000;
        const ms = parseTimestamp(String(v));
        return ms === undefined ? fail(v, to) : Math.floor(ms / 86_400_000) * 86_400_000;
      };
    case 'TIME':
      return (v) => {
        if (v === null) return null;
        if (typeof v === 'number') return ((v % 86_400_000) + 86_400_000) % 86_400_000;
        const ms = parseTime(String(v));
        return ms === undefined ? fail(v, to) : ms;
      };
    case 'VARBINARY': case 'BINARY':
      return (v) => (v === null ? null : typeof v === 'string' ? new Uint8Array(Buffer.from(v, 'utf8')) : v);
    default:
      return (v) => v;
  }
}

/** SQL comparison of two non-null values of comparable types. */
export function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const sa = JSON.stringify(a);
  const sb = JSON.stringify(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}
