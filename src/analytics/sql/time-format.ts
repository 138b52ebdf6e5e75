/**
 * Flink's timestamp text forms and the Java SimpleDateFormat/DateTimeFormatter patterns DATE_FORMAT,
 * TO_TIMESTAMP and FROM_UNIXTIME take. All wall times are UTC: the engine runs with `table.local-time-zone` = UTC
 * (what Managed Flink uses), so TIMESTAMP and TIMESTAMP_LTZ values are both epoch milliseconds.
 */
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `2020-04-15 08:05:00` / `2020-04-15 08:09:59.999`: Flink's SQL text for TIMESTAMP (fraction only when non-zero). */
export function formatSqlTimestamp(ms: number, precision = 3, sep = ' '): string {
  const d = new Date(ms);
  let s = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}${sep}${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const frac = d.getUTCMilliseconds();
  if (frac !== 0 && precision > 0) s += '.' + pad(frac, 3).replace(/0+$/, '');
  return s;
}

/** CAST(ts AS STRING) always shows the declared precision: `2020-04-15 08:05:00.000` for TIMESTAMP(3). */
export function castTimestampToString(ms: number, precision = 3): string {
  const d = new Date(ms);
  let s = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  if (precision > 0) s += '.' + (pad(d.getUTCMilliseconds(), 3) + '000000').slice(0, precision);
  return s;
}

export function formatDate(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

export function formatTime(msOfDay: number): string {
  const d = new Date(msOfDay);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

const TS_RE = /^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$/;

/** Parses the SQL (`yyyy-MM-dd HH:mm:ss[.S…]`) and ISO-8601 (`…T…[Z]`) forms; undefined when it is neither. */
const d2 = (s: string, i: number): number => (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48;

export function parseTimestamp(text: string): number | undefined {
  // fast path for the exact 'yyyy-MM-dd HH:mm:ss[.SSS]' form (what Flink's SQL standard writes)
  const n = text.length;
  if ((n === 19 || n === 23) && text.charCodeAt(4) === 45 && text.charCodeAt(10) === 32 && text.charCodeAt(13) === 58) {
    const ms = Date.UTC(d2(text, 0) * 100 + d2(text, 2), d2(text, 5) - 1, d2(text, 8), d2(text, 11), d2(text, 14), d2(text, 17), n === 23 ? d2(text, 20) * 10 + text.charCodeAt(22) - 48 : 0);
    if (Number.isFinite(ms) && (n === 19 || text.charCodeAt(19) === 46)) return ms;
  }
  const m = TS_RE.exec(text);
  if (!m) return undefined;
  const frac = m[7] ? Number((m[7] + '00').slice(0, 3)) : 0;
  let ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), frac);
  if (m[8] && m[8] !== 'Z') {
    const sign = m[8][0] === '-' ? -1 : 1;
    const digits = m[8].slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return Number.isFinite(ms) ? ms : undefined;
}

export function parseTime(text: string): number | undefined {
  const m = /^\s*(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,9}))?)?\s*$/.exec(text);
  if (!m) return undefined;
  return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3] ?? 0)) * 1000 + (m[4] ? Number((m[4] + '00').slice(0, 3)) : 0);
}

type Piece = { literal: string } | { field: string; width: number };

const patternCache = new Map<string, Piece[]>();
function compilePattern(pattern: string): Piece[] {
  let pieces = patternCache.get(pattern);
  if (pieces) return pieces;
  pieces = [];
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i]!;
    if (c === "'") {
      const end = pattern.indexOf("'", i + 1);
      const lit = end < 0 ? pattern.slice(i + 1) : pattern.slice(i + 1, end);
      pieces.push({ literal: lit === '' ? "'" : lit });
      i = end < 0 ? pattern.length : end + 1;
    } else if (/[A-Za-z]/.test(c)) {
      let j = i;
      while (pattern[j] === c) j++;
      pieces.push({ field: c, width: j - i });
      i = j;
    } else {
      pieces.push({ literal: c });
      i++;
    }
  }
  patternCache.set(pattern, pieces);
  return pieces;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** DATE_FORMAT(ts, 'yyyy-MM-dd HH:mm:ss') with Java pattern letters (y M d H h m s S E a D Z X). */
export function formatWithPattern(ms: number, pattern: string): string {
  const d = new Date(ms);
  let out = '';
  for (const p of compilePattern(pattern)) {
    if ('literal' in p) { out += p.literal; continue; }
    const w = p.width;
    switch (p.field) {
      case 'y': case 'u': out += w === 2 ? pad(d.getUTCFullYear() % 100) : pad(d.getUTCFullYear(), w); break;
      case 'M': out += w >= 4 ? MONTHS[d.getUTCMonth()] : w === 3 ? MONTHS[d.getUTCMonth()]!.slice(0, 3) : pad(d.getUTCMonth() + 1, w); break;
      case 'd': out += pad(d.getUTCDate(), w); break;
      case 'D': out += pad(Math.floor((ms - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1, w); break;
      case 'H': out += pad(d.getUTCHours(), w); break;
      case 'h': out += pad(d.getUTCHours() % 12 || 12, w); break;
      case 'm': out += pad(d.getUTCMinutes(), w); break;
      case 's': out += pad(d.getUTCSeconds(), w); break;
      case 'S': out += (pad(d.getUTCMilliseconds(), 3) + '000000').slice(0, w); break;
      case 'E': out += w >= 4 ? DAYS[d.getUTCDay()] : DAYS[d.getUTCDay()]!.slice(0, 3); break;
      case 'a': out += d.getUTCHours() < 12 ? 'AM' : 'PM'; break;
      case 'Z': out += '+0000'; break;
      case 'X': case 'x': out += p.field === 'X' ? 'Z' : w >= 3 ? '+00:00' : '+00'; break;
      default: out += p.field.repeat(w);
    }
  }
  return out;
}

/** TO_TIMESTAMP(str, pattern): undefined when the text does not match (Flink returns NULL). */
export function parseWithPattern(text: string, pattern: string): number | undefined {
  let pos = 0;
  let y = 1970, mo = 1, day = 1, h = 0, mi = 0, s = 0, frac = 0, pm = false, hasAmPm = false, offsetMin = 0;
  const num = (max: number): number | undefined => {
    const m = /^\d+/.exec(text.slice(pos, pos + max));
    if (!m) return undefined;
    pos += m[0].length;
    return Number(m[0]);
  };
  const pieces = compilePattern(pattern);
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i]!;
    if ('literal' in p) {
      if (text.slice(pos, pos + p.literal.length) !== p.literal) return undefined;
      pos += p.literal.length;
      continue;
    }
    // adjacent numeric fields (yyyyMMdd) take exactly their width; a field followed by a literal takes what is there
    const next = pieces[i + 1];
    const max = next && !('literal' in next) ? p.width : 9;
    let v: number | undefined;
    switch (p.field) {
      case 'y': case 'u': v = num(Math.max(max, p.width === 2 ? 2 : 4)); if (v === undefined) return undefined; y = p.width === 2 ? 2000 + v : v; break;
      case 'M': v = num(max); if (v === undefined) return undefined; mo = v; break;
      case 'd': v = num(max); if (v === undefined) return undefined; day = v; break;
      case 'H': case 'h': v = num(max); if (v === undefined) return undefined; h = v; break;
      case 'm': v = num(max); if (v === undefined) return undefined; mi = v; break;
      case 's': v = num(max); if (v === undefined) return undefined; s = v; break;
      case 'S': {
        const m = /^\d+/.exec(text.slice(pos, pos + (next && !('literal' in next) ? p.width : 9)));
        if (!m) return undefined;
        pos += m[0].length;
        frac = Number((m[0] + '00').slice(0, 3));
        break;
      }
      case 'a': hasAmPm = true; pm = /^pm/i.test(text.slice(pos, pos + 2)); pos += 2; break;
      case 'X': case 'Z': case 'x': {
        const m = /^(Z|[+-]\d{2}(?::?\d{2})?)/.exec(text.slice(pos));
        if (!m) return undefined;
        pos += m[0].length;
        if (m[0] !== 'Z') {
          const sign = m[0][0] === '-' ? -1 : 1;
          const digits = m[0].slice(1).replace(':', '');
          offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0));
        }
        break;
      }
      default: return undefined;
    }
  }
  if (pos !== text.length) return undefined;
  if (hasAmPm) h = (h % 12) + (pm ? 12 : 0);
  if (mo < 1 || mo > 12 || day < 1 || day > 31 || h > 23 || mi > 59 || s > 59) return undefined;
  return Date.UTC(y, mo - 1, day, h, mi, s, frac) - offsetMin * 60_000;
}
