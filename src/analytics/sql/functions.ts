import { createHash, randomUUID } from 'node:crypto';
import { formatSqlTimestamp, formatWithPattern, parseTimestamp, parseWithPattern } from './time-format.js';
import { BIGINT, BOOLEAN, DOUBLE, INT, isIntegral, isNumeric, isString, isTimestamp, STRING, t, widerNumeric, type SqlType } from './types.js';
import { roundScale } from './values.js';

/**
 * Flink's built-in scalar functions (docs: "System (Built-in) Functions"), each with its argument check and
 * result type, and an implementation called once per row through the compiled closure.
 */
export interface ScalarFunction {
  minArgs: number;
  maxArgs: number;
  /** Result type, or undefined when the argument types do not fit (→ Calcite's "No match found for function signature"). */
  returns(args: SqlType[]): SqlType | undefined;
  /** Called with argument values; NULL in → NULL out unless `nullAware`. */
  impl: (...args: any[]) => unknown;
  nullAware?: boolean;
  /** Not deterministic per row (RAND, UUID, NOW): never constant-folded. */
  volatile?: boolean;
}

const str = (): SqlType => STRING;
const anyStr = (a: SqlType[]): boolean => a.every((x) => isString(x) || x.name === 'NULL');
const allNum = (a: SqlType[]): boolean => a.every((x) => isNumeric(x) || x.name === 'NULL');
const strFn = (min: number, max: number, impl: (...a: any[]) => unknown, ret: SqlType = STRING): ScalarFunction => ({
  minArgs: min, maxArgs: max, returns: (a) => (isString(a[0]!) || a[0]!.name === 'NULL' ? ret : undefined), impl,
});
const mathFn = (impl: (x: number) => number): ScalarFunction => ({ minArgs: 1, maxArgs: 1, returns: (a) => (allNum(a) ? DOUBLE : undefined), impl });

const regexCache = new Map<string, RegExp>();
/** Java regex → JS RegExp (the common subset; possessive quantifiers and \p{javaX} classes are not translated). */
export function javaRegex(pattern: string, flags = ''): RegExp {
  const key = flags + '\u0000' + pattern;
  let re = regexCache.get(key);
  if (!re) {
    re = new RegExp(pattern.replace(/\(\?<([a-zA-Z]\w*)>/g, '(?<$1>'), flags);
    regexCache.set(key, re);
  }
  return re;
}

/** JSON_VALUE/JSON_QUERY's lax path mode: `$`, `$.a.b`, `$.a[0]`, `$['a']`, `$.*` not supported. */
export function jsonPath(doc: unknown, path: string): unknown {
  const m = /^\s*(?:lax\s+|strict\s+)?\$(.*)$/.exec(path);
  if (!m) return undefined;
  let cur: unknown = doc;
  const re = /\.([A-Za-z_$][\w$]*)|\.?\["([^"]*)"\]|\.?\['([^']*)'\]|\[(\d+)\]/y;
  const rest = m[1]!.trim();
  re.lastIndex = 0;
  let pos = 0;
  while (pos < rest.length) {
    re.lastIndex = pos;
    const step = re.exec(rest);
    if (!step) return undefined;
    pos = re.lastIndex;
    if (cur === null || typeof cur !== 'object') return undefined;
    const k = step[1] ?? step[2] ?? step[3];
    if (k !== undefined) cur = Array.isArray(cur) ? undefined : (cur as Record<string, unknown>)[k];
    else cur = Array.isArray(cur) ? cur[Number(step[4])] : undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

function jsonScalarText(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'object') return null; // JSON_VALUE returns scalars only (NULL ON EMPTY/ERROR default)
  return typeof v === 'string' ? v : String(v);
}

export const SCALAR_FUNCTIONS: Record<string, ScalarFunction> = {
  // ---- string ----
  UPPER: strFn(1, 1, (s: string) => s.toUpperCase()),
  LOWER: strFn(1, 1, (s: string) => s.toLowerCase()),
  CHAR_LENGTH: strFn(1, 1, (s: string) => [...s].length, INT),
  CHARACTER_LENGTH: strFn(1, 1, (s: string) => [...s].length, INT),
  INITCAP: strFn(1, 1, (s: string) => s.toLowerCase().replace(/(^|[^A-Za-z0-9])([a-z])/g, (_m, p: string, c: string) => p + c.toUpperCase())),
  REVERSE: strFn(1, 1, (s: string) => [...s].reverse().join('')),
  LTRIM: strFn(1, 1, (s: string) => s.replace(/^ +/, '')),
  RTRIM: strFn(1, 1, (s: string) => s.replace(/ +$/, '')),
  TRIM_BOTH: strFn(2, 2, (s: string, c: string) => trimChars(s, c, true, true)),
  TRIM_LEADING: strFn(2, 2, (s: string, c: string) => trimChars(s, c, true, false)),
  TRIM_TRAILING: strFn(2, 2, (s: string, c: string) => trimChars(s, c, false, true)),
  REPLACE: strFn(3, 3, (s: string, a: string, b: string) => s.split(a).join(b)),
  REPEAT: { minArgs: 2, maxArgs: 2, returns: (a) => (isString(a[0]!) && isNumeric(a[1]!) ? STRING : undefined), impl: (s: string, n: number) => (n > 0 ? s.repeat(n) : '') },
  SUBSTRING: { minArgs: 2, maxArgs: 3, returns: (a) => (isString(a[0]!) && allNum(a.slice(1)) ? STRING : undefined), impl: substring },
  SUBSTR: { minArgs: 2, maxArgs: 3, returns: (a) => (isString(a[0]!) && allNum(a.slice(1)) ? STRING : undefined), impl: substring },
  LEFT: { minArgs: 2, maxArgs: 2, returns: (a) => (isString(a[0]!) ? STRING : undefined), impl: (s: string, n: number) => (n <= 0 ? '' : s.slice(0, n)) },
  RIGHT: { minArgs: 2, maxArgs: 2, returns: (a) => (isString(a[0]!) ? STRING : undefined), impl: (s: string, n: number) => (n <= 0 ? '' : s.slice(-n)) },
  LPAD: { minArgs: 3, maxArgs: 3, returns: (a) => (isString(a[0]!) ? STRING : undefined), impl: (s: string, n: number, p: string) => pad(s, n, p, true) },
  RPAD: { minArgs: 3, maxArgs: 3, returns: (a) => (isString(a[0]!) ? STRING : undefined), impl: (s: string, n: number, p: string) => pad(s, n, p, false) },
  POSITION: strFn(2, 2, (needle: string, hay: string) => hay.indexOf(needle) + 1, INT),
  LOCATE: { minArgs: 2, maxArgs: 3, returns: (a) => (anyStr(a.slice(0, 2)) ? INT : undefined), impl: (needle: string, hay: string, from = 1) => hay.indexOf(needle, from - 1) + 1 },
  INSTR: strFn(2, 2, (hay: string, needle: string) => hay.indexOf(needle) + 1, INT),
  CONCAT: { minArgs: 1, maxArgs: 254, returns: (a) => (a.every((x) => isString(x) || x.name === 'NULL') ? STRING : undefined), impl: (...xs: string[]) => xs.join('') },
  CONCAT_WS: {
    minArgs: 2, maxArgs: 254, returns: (a) => (anyStr(a) ? STRING : undefined), nullAware: true,
    impl: (sep: string | null, ...xs: (string | null)[]) => (sep === null ? null : xs.filter((x) => x !== null).join(sep)),
  },
  SPLIT_INDEX: { minArgs: 3, maxArgs: 3, returns: (a) => (isString(a[0]!) ? STRING : undefined), impl: (s: string, sep: string, i: number) => s.split(sep)[i] ?? null },
  REGEXP: strFn(2, 2, (s: string, p: string) => javaRegex(p).test(s), BOOLEAN),
  REGEXP_REPLACE: strFn(3, 3, (s: string, p: string, r: string) => s.replace(javaRegex(p, 'g'), r.replace(/\$(\d)/g, '$$$1'))),
  REGEXP_EXTRACT: {
    minArgs: 2, maxArgs: 3, returns: (a) => (anyStr(a.slice(0, 2)) ? STRING : undefined),
    impl: (s: string, p: string, i = 1) => javaRegex(p).exec(s)?.[i] ?? null,
  },
  MD5: strFn(1, 1, (s: string) => createHash('md5').update(s).digest('hex')),
  SHA1: strFn(1, 1, (s: string) => createHash('sha1').update(s).digest('hex')),
  SHA256: strFn(1, 1, (s: string) => createHash('sha256').update(s).digest('hex')),
  TO_BASE64: strFn(1, 1, (s: string) => Buffer.from(s, 'utf8').toString('base64')),
  FROM_BASE64: strFn(1, 1, (s: string) => Buffer.from(s, 'base64').toString('utf8')),
  ASCII: strFn(1, 1, (s: string) => (s.length ? s.charCodeAt(0) : 0), INT),
  CHR: { minArgs: 1, maxArgs: 1, returns: (a) => (allNum(a) ? STRING : undefined), impl: (n: number) => String.fromCharCode(n % 256) },
  UUID: { minArgs: 0, maxArgs: 0, returns: str, impl: () => randomUUID(), volatile: true },
  // ---- JSON ----
  JSON_VALUE: {
    minArgs: 2, maxArgs: 2, returns: (a) => (anyStr(a) ? STRING : undefined),
    impl: (s: string, path: string) => jsonScalarText(jsonPath(parseJson(s), path)),
  },
  JSON_QUERY: {
    minArgs: 2, maxArgs: 2, returns: (a) => (anyStr(a) ? STRING : undefined),
    impl: (s: string, path: string) => {
      const v = jsonPath(parseJson(s), path);
      return v !== null && typeof v === 'object' ? JSON.stringify(v) : null;
    },
  },
  JSON_EXISTS: { minArgs: 2, maxArgs: 2, returns: (a) => (anyStr(a) ? BOOLEAN : undefined), impl: (s: string, path: string) => jsonPath(parseJson(s), path) !== undefined },
  // ---- math ----
  ABS: { minArgs: 1, maxArgs: 1, returns: (a) => (allNum(a) ? a[0] : undefined), impl: Math.abs },
  MOD: { minArgs: 2, maxArgs: 2, returns: (a) => (allNum(a) ? widerNumeric(a[0]!, a[1]!) : undefined), impl: (x: number, y: number) => (y === 0 ? null : x % y) },
  POWER: { minArgs: 2, maxArgs: 2, returns: (a) => (allNum(a) ? DOUBLE : undefined), impl: Math.pow },
  POW: { minArgs: 2, maxArgs: 2, returns: (a) => (allNum(a) ? DOUBLE : undefined), impl: Math.pow },
  SQRT: mathFn(Math.sqrt),
  EXP: mathFn(Math.exp),
  LN: mathFn(Math.log),
  LOG10: mathFn(Math.log10),
  LOG2: mathFn(Math.log2),
  LOG: { minArgs: 1, maxArgs: 2, returns: (a) => (allNum(a) ? DOUBLE : undefined), impl: (x: number, y?: number) => (y === undefined ? Math.log(x) : Math.log(y) / Math.log(x)) },
  SIN: mathFn(Math.sin), COS: mathFn(Math.cos), TAN: mathFn(Math.tan), ASIN: mathFn(Math.asin), ACOS: mathFn(Math.acos), ATAN: mathFn(Math.atan),
  DEGREES: mathFn((x) => (x * 180) / Math.PI),
  RADIANS: mathFn((x) => (x * Math.PI) / 180),
  SIGN: { minArgs: 1, maxArgs: 1, returns: (a) => (allNum(a) ? a[0] : undefined), impl: Math.sign },
  PI: { minArgs: 0, maxArgs: 0, returns: () => DOUBLE, impl: () => Math.PI },
  E: { minArgs: 0, maxArgs: 0, returns: () => DOUBLE, impl: () => Math.E },
  RAND: { minArgs: 0, maxArgs: 1, returns: () => DOUBLE, impl: () => Math.random(), volatile: true },
  RAND_INTEGER: { minArgs: 1, maxArgs: 2, returns: () => INT, impl: (a: number, b?: number) => Math.floor(Math.random() * (b ?? a)), volatile: true },
  FLOOR: { minArgs: 1, maxArgs: 1, returns: (a) => (allNum(a) ? (a[0]!.name === 'DECIMAL' ? t('DECIMAL', { precision: a[0]!.precision, scale: 0 }) : a[0]) : undefined), impl: Math.floor },
  CEIL: { minArgs: 1, maxArgs: 1, returns: (a) => (allNum(a) ? (a[0]!.name === 'DECIMAL' ? t('DECIMAL', { precision: a[0]!.precision, scale: 0 }) : a[0]) : undefined), impl: Math.ceil },
  ROUND: {
    minArgs: 1, maxArgs: 2,
    returns: (a) => (allNum(a) ? (a[0]!.name === 'DECIMAL' ? t('DECIMAL', { precision: a[0]!.precision, scale: Math.min(a[0]!.scale ?? 0, 8) }) : a[0]) : undefined),
    impl: (x: number, d = 0) => roundHalfUp(x, d),
  },
  TRUNCATE: { minArgs: 1, maxArgs: 2, returns: (a) => (allNum(a) ? a[0] : undefined), impl: (x: number, d = 0) => Math.trunc(x * 10 ** d) / 10 ** d },
  // ---- conditional ----
  COALESCE: {
    minArgs: 1, maxArgs: 254, nullAware: true,
    returns: (a) => {
      const nonNull = a.filter((x) => x.name !== 'NULL');
      if (nonNull.length === 0) return a[0];
      const first = nonNull[0]!;
      const num = nonNull.every(isNumeric) ? nonNull.reduce(widerNumeric) : first;
      return { ...num, nullable: a.every((x) => x.nullable) };
    },
    impl: (...xs: unknown[]) => xs.find((x) => x !== null) ?? null,
  },
  IFNULL: { minArgs: 2, maxArgs: 2, nullAware: true, returns: (a) => ({ ...(a[0]!.name === 'NULL' ? a[1]! : a[0]!), nullable: a[1]!.nullable }), impl: (x: unknown, y: unknown) => (x === null ? y : x) },
  NULLIF: { minArgs: 2, maxArgs: 2, nullAware: true, returns: (a) => ({ ...a[0]!, nullable: true }), impl: (x: unknown, y: unknown) => (x !== null && x === y ? null : x) },
  IF: {
    minArgs: 3, maxArgs: 3, nullAware: true,
    returns: (a) => (a[0]!.name === 'BOOLEAN' || a[0]!.name === 'NULL' ? (allNum([a[1]!, a[2]!]) ? widerNumeric(a[1]!, a[2]!) : a[1]!.name === 'NULL' ? a[2] : a[1]) : undefined),
    impl: (c: unknown, x: unknown, y: unknown) => (c === true ? x : y),
  },
  GREATEST: { minArgs: 1, maxArgs: 254, returns: (a) => a[0], impl: (...xs: any[]) => xs.reduce((m, x) => (x > m ? x : m)) },
  LEAST: { minArgs: 1, maxArgs: 254, returns: (a) => a[0], impl: (...xs: any[]) => xs.reduce((m, x) => (x < m ? x : m)) },
  // ---- time ----
  DATE_FORMAT: {
    minArgs: 2, maxArgs: 2, returns: (a) => ((isTimestamp(a[0]!) || isString(a[0]!)) && isString(a[1]!) ? STRING : undefined),
    impl: (ts: number | string, fmt: string) => {
      const ms = typeof ts === 'string' ? parseTimestamp(ts) : ts;
      return ms === undefined ? null : formatWithPattern(ms, fmt);
    },
  },
  TO_TIMESTAMP: {
    minArgs: 1, maxArgs: 2, returns: (a) => (anyStr(a) ? t('TIMESTAMP', { precision: 3 }) : undefined),
    impl: (s: string, fmt?: string) => (fmt === undefined ? parseTimestamp(s) : parseWithPattern(s, fmt)) ?? null,
  },
  TO_TIMESTAMP_LTZ: {
    minArgs: 1, maxArgs: 2, returns: (a) => (isNumeric(a[0]!) ? t('TIMESTAMP_LTZ', { precision: 3 }) : isString(a[0]!) ? t('TIMESTAMP_LTZ', { precision: 3 }) : undefined),
    impl: (v: number | string, p: number | string = 3) => {
      if (typeof v === 'string') return (typeof p === 'string' ? parseWithPattern(v, p) : parseTimestamp(v)) ?? null;
      return p === 0 ? v * 1000 : v;
    },
  },
  TO_DATE: {
    minArgs: 1, maxArgs: 2, returns: (a) => (anyStr(a) ? t('DATE') : undefined),
    impl: (s: string, fmt?: string) => {
      const ms = fmt === undefined ? parseTimestamp(s) : parseWithPattern(s, fmt);
      return ms === undefined ? null : Math.floor(ms / 86_400_000) * 86_400_000;
    },
  },
  UNIX_TIMESTAMP: {
    minArgs: 0, maxArgs: 2, returns: (a) => (anyStr(a) ? BIGINT : undefined), volatile: true,
    impl: function (this: { now: () => number }, s?: string, fmt?: string) {
      if (s === undefined) return Math.floor(this.now() / 1000);
      const ms = fmt === undefined ? parseWithPattern(s, 'yyyy-MM-dd HH:mm:ss') : parseWithPattern(s, fmt);
      return ms === undefined ? null : Math.floor(ms / 1000);
    },
  },
  FROM_UNIXTIME: {
    minArgs: 1, maxArgs: 2, returns: (a) => (isNumeric(a[0]!) ? STRING : undefined),
    impl: (sec: number, fmt = 'yyyy-MM-dd HH:mm:ss') => formatWithPattern(sec * 1000, fmt),
  },
  TIMESTAMP_LITERAL: { minArgs: 1, maxArgs: 1, returns: () => t('TIMESTAMP', { precision: 3, nullable: false }), impl: (s: string) => parseTimestamp(s) ?? null },
  TIMESTAMP_LTZ_LITERAL: { minArgs: 1, maxArgs: 1, returns: () => t('TIMESTAMP_LTZ', { precision: 3, nullable: false }), impl: (s: string) => parseTimestamp(s) ?? null },
  DATE_LITERAL: { minArgs: 1, maxArgs: 1, returns: () => t('DATE', { nullable: false }), impl: (s: string) => parseTimestamp(s) ?? null },
  TIME_LITERAL: { minArgs: 1, maxArgs: 1, returns: () => t('TIME', { nullable: false }), impl: (s: string) => { const m = /^(\d+):(\d+)(?::(\d+))?/.exec(s); return m ? ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3] ?? 0)) * 1000 : null; } },
  YEAR: { minArgs: 1, maxArgs: 1, returns: (a) => (isTimestamp(a[0]!) || a[0]!.name === 'DATE' ? BIGINT : undefined), impl: (ms: number) => new Date(ms).getUTCFullYear() },
  MONTH: { minArgs: 1, maxArgs: 1, returns: (a) => (isTimestamp(a[0]!) || a[0]!.name === 'DATE' ? BIGINT : undefined), impl: (ms: number) => new Date(ms).getUTCMonth() + 1 },
  DAYOFMONTH: { minArgs: 1, maxArgs: 1, returns: (a) => (isTimestamp(a[0]!) || a[0]!.name === 'DATE' ? BIGINT : undefined), impl: (ms: number) => new Date(ms).getUTCDate() },
  HOUR: { minArgs: 1, maxArgs: 1, returns: (a) => (isTimestamp(a[0]!) || a[0]!.name === 'TIME' ? BIGINT : undefined), impl: (ms: number) => new Date(ms).getUTCHours() },
  MINUTE: { minArgs: 1, maxArgs: 1, returns: (a) => (isTimestamp(a[0]!) || a[0]!.name === 'TIME' ? BIGINT : undefined), impl: (ms: number) => new Date(ms).getUTCMinutes() },
  SECOND: { minArgs: 1, maxArgs: 1, returns: (a) => (isTimestamp(a[0]!) || a[0]!.name === 'TIME' ? BIGINT : undefined), impl: (ms: number) => new Date(ms).getUTCSeconds() },
  // ---- type helpers ----
  TYPEOF: { minArgs: 1, maxArgs: 1, returns: () => STRING, nullAware: true, impl: () => null },
};
SCALAR_FUNCTIONS.CEILING = SCALAR_FUNCTIONS.CEIL!;
SCALAR_FUNCTIONS.NOW = { minArgs: 0, maxArgs: 0, returns: () => t('TIMESTAMP_LTZ', { precision: 3, nullable: false }), impl() { return (this as unknown as { now: () => number }).now(); }, volatile: true };
for (const n of ['CURRENT_TIMESTAMP', 'LOCALTIMESTAMP', 'CURRENT_ROW_TIMESTAMP']) {
  SCALAR_FUNCTIONS[n] = { ...SCALAR_FUNCTIONS.NOW, returns: () => t(n === 'LOCALTIMESTAMP' ? 'TIMESTAMP' : 'TIMESTAMP_LTZ', { precision: 3, nullable: false }) };
}
SCALAR_FUNCTIONS.CURRENT_DATE = { minArgs: 0, maxArgs: 0, returns: () => t('DATE', { nullable: false }), impl() { return Math.floor((this as unknown as { now: () => number }).now() / 86_400_000) * 86_400_000; }, volatile: true };

function substring(s: string, start: number, len?: number): string {
  const from = start > 0 ? start - 1 : start < 0 ? Math.max(0, s.length + start) : 0;
  return len === undefined ? s.slice(from) : len < 0 ? '' : s.slice(from, from + len);
}
function pad(s: string, n: number, p: string, left: boolean): string | null {
  if (n < 0) return null;
  if (s.length >= n) return s.slice(0, n);
  if (p.length === 0) return s;
  const fill = p.repeat(Math.ceil((n - s.length) / p.length)).slice(0, n - s.length);
  return left ? fill + s : s + fill;
}
function trimChars(s: string, chars: string, lead: boolean, trail: boolean): string {
  let a = 0;
  let b = s.length;
  if (lead) while (a < b && chars.includes(s[a]!)) a++;
  if (trail) while (b > a && chars.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
}
function roundHalfUp(x: number, d: number): number {
  const f = 10 ** d;
  return (Math.sign(x) * Math.round(Math.abs(x) * f + 1e-9)) / f;
}

/** Names the planner handles itself (aggregates, window helpers), so "No match found" does not fire for them. */
export const AGGREGATE_FUNCTIONS = new Set(['COUNT', 'SUM', 'MIN', 'MAX', 'AVG', 'FIRST_VALUE', 'LAST_VALUE', 'LISTAGG', 'STDDEV_POP', 'STDDEV_SAMP', 'VAR_POP', 'VAR_SAMP', 'SUM0', 'COLLECT']);

export function isIntegralType(ty: SqlType): boolean {
  return isIntegral(ty);
}
