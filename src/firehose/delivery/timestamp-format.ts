/**
 * `!{timestamp:<pattern>}` values (FIREHOSE-SPEC §8.2): AWS evaluates them with Java's
 * `DateTimeFormatter.ofPattern` (locale en_US assumed). Millrace prints every pattern letter of
 * Java 8–17 (checked against Java 17's output in test/firehose-format.test.ts) except the ones
 * whose text comes from the JVM's time-zone names (`z`) and the pad modifier (`p`), which are
 * refused when the pattern is compiled (at CreateDeliveryStream / UpdateDestination), so a pattern
 * that would print something different from AWS never reaches the data path. Java's own refusals
 * (unknown letters, too many letters) are refused with Java's text.
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
  /** The zone's offset from UTC at this instant, in seconds. */
  offsetSeconds: number;
  /** The IANA zone id the fields are in ('UTC' for UTC). */
  zone: string;
}

type Printer = (f: ZonedFields, out: string[]) => void;

/** Highest count Java accepts per letter Millrace prints (DateTimeFormatterBuilder.parseField). */
const MAX_LETTERS: Record<string, number> = {
  G: 5, y: 19, u: 19, Y: 19, Q: 5, q: 5, M: 5, L: 5, w: 2, W: 1, d: 2, D: 3, F: 1, E: 5, e: 5, c: 5, a: 1,
  h: 2, K: 2, k: 2, H: 2, m: 2, s: 2, S: 9, A: 19, n: 19, N: 19, V: 2, O: 4, X: 5, x: 5, Z: 5,
};
/** Letters Java knows but Millrace does not print: zone names come from the JVM's locale data; `p` pads. */
const UNSUPPORTED_LETTERS = new Set(['z', 'p', 'B', 'v']);
const QUARTER_ORDINALS = ['1st', '2nd', '3rd', '4th'];

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
  if (UNSUPPORTED_LETTERS.has(letter)) throw new TimestampPatternError(`Unsupported pattern letter: ${letter}`);
  const max = MAX_LETTERS[letter];
  if (max === undefined) throw new TimestampPatternError(`Unknown pattern letter: ${letter}`);
  if (letter === 'V' && count !== 2) throw new TimestampPatternError('Pattern letter count must be 2: V');
  if (letter === 'O' && count !== 1 && count !== 4) throw new TimestampPatternError('Pattern letter count must be 1 or 4: O');
  if (letter === 'c' && count === 2) throw new TimestampPatternError(`Invalid pattern "cc"`);
  if (count > max) throw new TimestampPatternError(`Too many pattern letters: ${letter}`);
  switch (letter) {
    case 'G':
      return (_f, out) => { out.push(count <= 3 ? 'AD' : count === 4 ? 'Anno Domini' : 'A'); };
    case 'y':
    case 'u':
      // yy is the two-digit reduced year; any other count pads to the count.
      return count === 2
        ? (f, out) => { out.push(pad(((f.year % 100) + 100) % 100, 2)); }
        : (f, out) => { out.push(pad(f.year, count)); };
    case 'Y':
      return count === 2
        ? (f, out) => { out.push(pad(((weekOfWeekBasedYear(f).year % 100) + 100) % 100, 2)); }
        : (f, out) => { out.push(pad(weekOfWeekBasedYear(f).year, count)); };
    case 'Q':
    case 'q': {
      const quarter = (f: ZonedFields) => Math.floor((f.month - 1) / 3) + 1;
      if (count <= 2) return (f, out) => { out.push(pad(quarter(f), count)); };
      if (count === 3) return (f, out) => { out.push(`Q${quarter(f)}`); };
      if (count === 4) return (f, out) => { out.push(`${QUARTER_ORDINALS[quarter(f) - 1]} quarter`); };
      return (f, out) => { out.push(String(quarter(f))); };
    }
    case 'L':
    case 'M':
      if (count <= 2) return (f, out) => { out.push(pad(f.month, count)); };
      if (count === 3) return (f, out) => { out.push(MONTHS[f.month - 1]!.slice(0, 3)); };
      if (count === 4) return (f, out) => { out.push(MONTHS[f.month - 1]!); };
      return (f, out) => { out.push(MONTHS[f.month - 1]![0]!); };
    case 'd': return (f, out) => { out.push(pad(f.day, count)); };
    case 'W': return (f, out) => { out.push(String(weekOfMonth(f))); };
    // Java maps F to ALIGNED_DAY_OF_WEEK_IN_MONTH (what Java 8–17 print, whatever the javadoc says).
    case 'F': return (f, out) => { out.push(String(((f.day - 1) % 7) + 1)); };
    case 'e':
    case 'c':
      if (count <= 2) return (f, out) => { out.push(pad(localizedDayOfWeek(f.dayOfWeek), count)); };
      return letterPrinter('E', count === 3 ? 3 : count);
    case 'K': return (f, out) => { out.push(pad(f.hour % 12, count)); };
    case 'k': return (f, out) => { out.push(pad(f.hour === 0 ? 24 : f.hour, count)); };
    case 'A': return (f, out) => { out.push(pad(milliOfDay(f), count)); };
    case 'n': return (f, out) => { out.push(pad(f.millisecond * 1_000_000, count)); };
    case 'N': return (f, out) => { out.push(pad(milliOfDay(f) * 1_000_000, count)); };
    case 'V': return (f, out) => { out.push(f.zone); };
    case 'O':
      return (f, out) => { out.push(f.offsetSeconds === 0 ? 'GMT' : `GMT${localizedOffset(f.offsetSeconds, count === 4)}`); };
    case 'X':
    case 'x':
    case 'Z': {
      // appendOffset patterns of parseField: X/x by count, Z 1–3 "+HHMM", Z 4 localized, Z 5 "+HH:MM:ss" with "Z".
      if (letter === 'Z' && count === 4) return letterPrinter('O', 4);
      const pattern = letter === 'Z' ? (count <= 3 ? '+HHMM' : '+HH:MM:ss') : ['+HHmm', '+HHMM', '+HH:MM', '+HHMMss', '+HH:MM:ss'][count - 1]!;
      const zero = letter === 'X' || (letter === 'Z' && count === 5) ? 'Z' : letter === 'Z' ? '+0000' : ['+00', '+0000', '+00:00', '+0000', '+00:00'][count - 1]!;
      return (f, out) => { out.push(f.offsetSeconds === 0 ? zero : offsetText(f.offsetSeconds, pattern)); };
    }
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
    case 'w': return (f, out) => { out.push(pad(weekOfWeekBasedYear(f).week, count)); };
  }
  throw new TimestampPatternError(`Unsupported pattern letter: ${letter}`);
}

/** en_US: weeks start on Sunday (WEEK_FIRST_DAY_ISO), so Sunday is 1. */
function localizedDayOfWeek(isoDayOfWeek: number): number {
  return ((((isoDayOfWeek - WEEK_FIRST_DAY_ISO) % 7) + 7) % 7) + 1;
}

function milliOfDay(f: ZonedFields): number {
  return ((f.hour * 60 + f.minute) * 60 + f.second) * 1000 + f.millisecond;
}

/** `O` / `ZZZZ`: "+5:30" (short, hours unpadded, minutes when not zero) or "+05:30" (full). */
function localizedOffset(offsetSeconds: number, full: boolean): string {
  const sign = offsetSeconds < 0 ? '-' : '+';
  const total = Math.abs(offsetSeconds);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (full) return `${sign}${pad(hours, 2)}:${pad(minutes, 2)}${seconds ? `:${pad(seconds, 2)}` : ''}`;
  return `${sign}${hours}${minutes || seconds ? `:${pad(minutes, 2)}` : ''}${seconds ? `:${pad(seconds, 2)}` : ''}`;
}

/** Java's appendOffset pattern: lower-case parts print only when not zero, ':' as the pattern has it. */
function offsetText(offsetSeconds: number, pattern: string): string {
  const total = Math.abs(offsetSeconds);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const colon = pattern.includes(':') ? ':' : '';
  let text = (offsetSeconds < 0 ? '-' : '+') + pad(hours, 2);
  const minutePart = pattern.includes('MM') ? 'always' : pattern.includes('mm') ? 'optional' : 'never';
  const secondPart = pattern.includes('SS') ? 'always' : pattern.includes('ss') ? 'optional' : 'never';
  if (minutePart === 'always' || (minutePart === 'optional' && (minutes > 0 || seconds > 0))) {
    text += colon + pad(minutes, 2);
    if (secondPart === 'always' || (secondPart === 'optional' && seconds > 0)) text += colon + pad(seconds, 2);
  }
  return text;
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
    return withDerived(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), millisecond, 0, 'UTC');
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
  const wall = new Date(0);
  wall.setUTCFullYear(year, month - 1, day);
  wall.setUTCHours(hour, minute, sec, 0);
  const fields = withDerived(year, month, day, hour, minute, sec, millisecond, Math.round((wall.getTime() - second * 1000) / 1000), timeZone);
  lastFields.set(timeZone, { second, fields });
  return fields;
}

function withDerived(year: number, month: number, day: number, hour: number, minute: number, second: number, millisecond: number, offsetSeconds: number, zone: string): ZonedFields {
  // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  const yearStart = new Date(0);
  yearStart.setUTCFullYear(year, 0, 1);
  const dayOfYear = Math.round((date.getTime() - yearStart.getTime()) / 86_400_000) + 1;
  const dayOfWeek = ((date.getUTCDay() + 6) % 7) + 1;
  return { year, month, day, hour, minute, second, millisecond, dayOfWeek, dayOfYear, offsetSeconds, zone };
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Java's WeekFields weekOfWeekBasedYear and weekBasedYear with WEEK_FIRST_DAY_ISO / WEEK_MINIMAL_DAYS. */
function weekOfWeekBasedYear(f: { year: number; dayOfYear: number; dayOfWeek: number }): { week: number; year: number } {
  const localDow = localizedDayOfWeek(f.dayOfWeek);
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
    if (week >= newYearWeek) return { week: week - newYearWeek + 1, year: f.year + 1 };
  }
  return { week, year: f.year };
}

/** Java's WeekFields.weekOfMonth (localized, like `w`). */
function weekOfMonth(f: { day: number; dayOfWeek: number }): number {
  const offset = startOfWeekOffset(f.day, localizedDayOfWeek(f.dayOfWeek));
  return Math.floor((7 + offset + (f.day - 1)) / 7);
}

function startOfWeekOffset(day: number, dow: number): number {
  const weekStart = (((day - dow) % 7) + 7) % 7;
  return weekStart + 1 > WEEK_MINIMAL_DAYS ? 7 - weekStart : -weekStart;
}
