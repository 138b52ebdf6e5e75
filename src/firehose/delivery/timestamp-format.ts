/**
 * `!{timestamp:<pattern>}` values (FIREHOSE-SPEC §8.2): AWS evaluates them with Java's
 * `DateTimeFormatter.ofPattern`. Millrace implements the subset of §8.2 and refuses every other
 * pattern letter when the pattern is compiled (at CreateDeliveryStream / UpdateDestination), so a
 * pattern that would print something different from AWS never reaches the data path.
 *
 * A compiled pattern is evaluated once per object (not per record), but it is on the delivery path,
 * so the time-zone conversion reuses one `Intl.DateTimeFormat` per zone.
 */

/**
 * Thrown for a pattern outside the supported subset; `message` says what is wrong in Java's words
 * ("Unknown pattern letter" becomes "Unsupported pattern letter" for letters Java knows but
 * Millrace does not print). The InvalidArgumentException text is prefixes.ts's
 * INVALID_TIMESTAMP_PATTERN_MESSAGE.
 */
export class TimestampPatternError extends Error {
  override readonly name = 'TimestampPatternError';
}

/**
 * Week fields for `w` (week-of-week-based-year). Java takes them from the JVM's default locale;
 * AWS's is UNVERIFIED — en_US (weeks start on Sunday, a first week of at least 1 day) is assumed,
 * as most JVMs run with it. ISO would be Monday / 4.
 */
export const WEEK_FIRST_DAY_ISO = 7; // 1 = Monday … 7 = Sunday
export const WEEK_MINIMAL_DAYS = 1;

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
/** Indexed by ISO day of week − 1 (Monday first). */
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/** Calendar fields of one instant in one zone. */
export interface ZonedFields {
  year: number;
  month: number; // 1–12
  day: number; // 1–31
  hour: number; // 0–23
  minute: number;
  second: number;
  millisecond: number;
  /** ISO day of week, 1 = Monday … 7 = Sunday. */
  dayOfWeek: number;
  /** 1–366 */
  dayOfYear: number;
}

type Printer = (f: ZonedFields, out: string[]) => void;

/** Highest count Java accepts per supported letter (DateTimeFormatterBuilder.parseField). */
const MAX_LETTERS: Record<string, number> = {
  y: Infinity, u: Infinity, M: 5, d: 2, D: 3, H: 2, h: 2, m: 2, s: 2, S: 9, a: 1, E: 5, w: 2,
};

/**
 * Compiles a DateTimeFormatter pattern of the §8.2 subset; the returned function formats an epoch-ms
 * instant in an IANA time zone ('UTC' by default).
 */
export function compileTimestampPattern(pattern: string): (epochMs: number, timeZone: string) => string {
  const printers = parsePattern(pattern);
  return (epochMs: number, timeZone: string) => {
    const fields = zonedFields(epochMs, timeZone);
    const out: string[] = [];
    for (const print of printers) print(fields, out);
    return out.join('');
  };
}

function parsePattern(pattern: string): Printer[] {
  const printers: Printer[] = [];
  let optionalDepth = 0;
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i]!;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
      let count = 1;
      while (pattern[i + count] === c) count++;
      printers.push(letterPrinter(c, count));
      i += count;
    } else if (c === "'") {
      // Quoted literal; '' inside or outside quotes is one quote (§8.3 rule 1).
      let j = i + 1;
      let text = '';
      for (;;) {
        if (j >= pattern.length) throw new TimestampPatternError(`Pattern ends with an incomplete string literal: ${pattern}`);
        if (pattern[j] === "'") {
          if (pattern[j + 1] === "'") { text += "'"; j += 2; continue; }
          break;
        }
        text += pattern[j++];
      }
      const literal = j === i + 1 ? "'" : text;
      printers.push((_f, out) => { out.push(literal); });
      i = j + 1;
    } else if (c === '[') {
      // Optional section: every field is available when formatting an instant, so it always prints.
      optionalDepth++;
      i++;
    } else if (c === ']') {
      if (optionalDepth === 0) throw new TimestampPatternError('Pattern invalid as it contains ] without previous [');
      optionalDepth--;
      i++;
    } else if (c === '{' || c === '}' || c === '#') {
      throw new TimestampPatternError(`Pattern includes reserved character: '${c}'`);
    } else {
      printers.push((_f, out) => { out.push(c); });
      i++;
    }
  }
  return printers;
}

function letterPrinter(letter: string, count: number): Printer {
  const max = MAX_LETTERS[letter];
  if (max === undefined) throw new TimestampPatternError(`Unsupported pattern letter: ${letter}`);
  if (count > max) throw new TimestampPatternError(`Too many pattern letters: ${letter}`);
  switch (letter) {
    case 'y':
    case 'u':
      // yy is the two-digit reduced year; any other count pads to the count.
      return count === 2
        ? (f, out) => { out.push(pad(((f.year % 100) + 100) % 100, 2)); }
        : (f, out) => { out.push(pad(f.year, count)); };
    case 'M':
      if (count <= 2) return (f, out) => { out.push(pad(f.month, count)); };
      if (count === 3) return (f, out) => { out.push(MONTHS[f.month - 1]!.slice(0, 3)); };
      if (count === 4) return (f, out) => { out.push(MONTHS[f.month - 1]!); };
      return (f, out) => { out.push(MONTHS[f.month - 1]![0]!); };
    case 'd': return (f, out) => { out.push(pad(f.day, count)); };
    case 'D': return (f, out) => { out.push(pad(f.dayOfYear, count)); };
    case 'H': return (f, out) => { out.push(pad(f.hour, count)); };
    case 'h': return (f, out) => { out.push(pad(f.hour % 12 === 0 ? 12 : f.hour % 12, count)); };
    case 'm': return (f, out) => { out.push(pad(f.minute, count)); };
    case 's': return (f, out) => { out.push(pad(f.second, count)); };
    case 'S':
      // Fraction of second, truncated to `count` digits; Millrace instants have millisecond precision.
      return (f, out) => { out.push(pad(f.millisecond, 3).concat('000000').slice(0, count)); };
    case 'a': return (f, out) => { out.push(f.hour < 12 ? 'AM' : 'PM'); };
    case 'E':
      if (count <= 3) return (f, out) => { out.push(DAYS[f.dayOfWeek - 1]!.slice(0, 3)); };
      if (count === 4) return (f, out) => { out.push(DAYS[f.dayOfWeek - 1]!); };
      return (f, out) => { out.push(DAYS[f.dayOfWeek - 1]![0]!); };
    case 'w': return (f, out) => { out.push(pad(weekOfWeekBasedYear(f), count)); };
  }
  throw new TimestampPatternError(`Unsupported pattern letter: ${letter}`);
}

function pad(n: number, width: number): string {
  const s = String(Math.abs(n));
  const padded = s.length >= width ? s : '0'.repeat(width - s.length) + s;
  return n < 0 ? '-' + padded : padded;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const lastFields = new Map<string, { second: number; fields: Omit<ZonedFields, 'millisecond'> }>();

/** True when `timeZone` is an IANA name this runtime knows (CustomTimeZone checks). */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric', era: 'short',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The calendar fields of `epochMs` in `timeZone` (IANA name; '' or 'UTC' = UTC). */
export function zonedFields(epochMs: number, timeZone: string): ZonedFields {
  const millisecond = ((epochMs % 1000) + 1000) % 1000;
  const second = (epochMs - millisecond) / 1000;
  if (timeZone === '' || timeZone === 'UTC') {
    const d = new Date(epochMs);
    return withDerived(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), millisecond);
  }
  // Objects written in one second share the conversion.
  const cached = lastFields.get(timeZone);
  if (cached && cached.second === second) return { ...cached.fields, millisecond };
  let year = 0, month = 0, day = 0, hour = 0, minute = 0, sec = 0, bc = false;
  for (const part of formatterFor(timeZone).formatToParts(second * 1000)) {
    switch (part.type) {
      case 'year': year = Number(part.value); break;
      case 'month': month = Number(part.value); break;
      case 'day': day = Number(part.value); break;
      case 'hour': hour = Number(part.value); break;
      case 'minute': minute = Number(part.value); break;
      case 'second': sec = Number(part.value); break;
      case 'era': bc = part.value === 'BC'; break;
    }
  }
  if (bc) year = 1 - year;
  const fields = withDerived(year, month, day, hour, minute, sec, millisecond);
  lastFields.set(timeZone, { second, fields });
  return fields;
}

function withDerived(year: number, month: number, day: number, hour: number, minute: number, second: number, millisecond: number): ZonedFields {
  // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  const yearStart = new Date(0);
  yearStart.setUTCFullYear(year, 0, 1);
  const dayOfYear = Math.round((date.getTime() - yearStart.getTime()) / 86_400_000) + 1;
  const dayOfWeek = ((date.getUTCDay() + 6) % 7) + 1;
  return { year, month, day, hour, minute, second, millisecond, dayOfWeek, dayOfYear };
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Java's WeekFields.weekOfWeekBasedYear with WEEK_FIRST_DAY_ISO / WEEK_MINIMAL_DAYS. */
function weekOfWeekBasedYear(f: { year: number; dayOfYear: number; dayOfWeek: number }): number {
  const localDow = (((f.dayOfWeek - WEEK_FIRST_DAY_ISO) % 7) + 7) % 7 + 1;
  const offset = startOfWeekOffset(f.dayOfYear, localDow);
  const week = Math.floor((7 + offset + (f.dayOfYear - 1)) / 7);
  if (week === 0) {
    // The day belongs to the last week of the previous year: evaluate its last day's week.
    const prevYearLength = isLeap(f.year - 1) ? 366 : 365;
    const lastDow = ((((f.dayOfWeek - f.dayOfYear) % 7) + 7) % 7) || 7; // ISO day of week of Dec 31 before
    return weekOfWeekBasedYear({ year: f.year - 1, dayOfYear: prevYearLength, dayOfWeek: lastDow });
  }
  if (week > 50) {
    const yearLength = isLeap(f.year) ? 366 : 365;
    const newYearWeek = Math.floor((7 + offset + (yearLength + WEEK_MINIMAL_DAYS - 1)) / 7);
    if (week >= newYearWeek) return week - newYearWeek + 1;
  }
  return week;
}

function startOfWeekOffset(day: number, dow: number): number {
  const weekStart = (((day - dow) % 7) + 7) % 7;
  return weekStart + 1 > WEEK_MINIMAL_DAYS ? 7 - weekStart : -weekStart;
}
