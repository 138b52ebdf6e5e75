/**
 * The data plane's clock. Production reads the system clock; tests move it forward to see
 * iterators expire and records age out of retention without waiting hours.
 */
let offsetMs = 0;

export const now = (): number => Date.now() + offsetMs;

/** Test hook: every later `now()` is the system clock plus `ms`. */
export function setClockOffset(ms: number): void {
  offsetMs = ms;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** Java's `Date#toString` in UTC, as AWS prints times in messages: `Thu Jan 22 01:22:02 UTC 2015`. */
export function javaDateString(ms: number): string {
  const d = new Date(ms);
  return (
    `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${two(d.getUTCDate())} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`
  );
}
