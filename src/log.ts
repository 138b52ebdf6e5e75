import { pino, type DestinationStream, type Logger } from 'pino';

export type LogFormat = 'json' | 'pretty';

/**
 * Structured logs on stderr (DESIGN.md "Edges"): lifecycle and failures at info and above, one line
 * per request only at debug. JSON for machines; `pretty` turns each JSON line into one line for a
 * person. Without a format, pretty when stderr is a terminal and JSON when it is a pipe or a file.
 */
export function createLogger(level: string, format?: LogFormat): Logger {
  const pretty = (format ?? (process.stderr.isTTY ? 'pretty' : 'json')) === 'pretty';
  const destination = pretty ? prettyDestination(process.stderr, colorsWanted()) : pino.destination(2);
  return pino({ level, base: { service: 'millrace' } }, destination);
}

/** https://no-color.org: NO_COLOR turns colours off; FORCE_COLOR turns them on for a pipe. */
function colorsWanted(): boolean {
  if (process.env.NO_COLOR) return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true;
  return Boolean(process.stderr.isTTY);
}

const LEVELS: Record<number, { name: string; color: string }> = {
  10: { name: 'TRACE', color: '\x1b[90m' },
  20: { name: 'DEBUG', color: '\x1b[36m' },
  30: { name: 'INFO', color: '\x1b[32m' },
  40: { name: 'WARN', color: '\x1b[33m' },
  50: { name: 'ERROR', color: '\x1b[31m' },
  60: { name: 'FATAL', color: '\x1b[35m' },
};
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';
/** Fields every line has, or that the line's head already shows. */
const HEAD_FIELDS = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname', 'err']);

/**
 * `12:00:01.234 INFO  stopping signal=SIGTERM`: time, level, message, then the other fields as
 * key=value (strings quoted when they hold spaces), and an error's stack on the lines below.
 */
export function formatPretty(line: string, colors = false): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const paint = (code: string, text: string) => (colors ? `${code}${text}${RESET}` : text);
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 23) : '';
  const level = LEVELS[entry.level as number] ?? { name: String(entry.level).toUpperCase(), color: '' };
  const fields = Object.entries(entry)
    .filter(([key]) => !HEAD_FIELDS.has(key))
    .map(([key, value]) => `${key}=${fieldText(value)}`);
  let text = `${paint(DIM, time)} ${paint(level.color, level.name.padEnd(5))} ${String(entry.msg ?? '')}`;
  if (fields.length) text += ` ${paint(DIM, fields.join(' '))}`;
  const err = entry.err as { stack?: string; message?: string; type?: string } | undefined;
  if (err) text += `\n    ${(err.stack ?? `${err.type ?? 'Error'}: ${err.message ?? ''}`).split('\n').join('\n    ')}`;
  return `${text}\n`;
}

function fieldText(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

/** pino writes each entry as one JSON line in one write(); this rewrites it on the way out. */
function prettyDestination(out: NodeJS.WritableStream, colors: boolean): DestinationStream {
  return { write: (line: string) => void out.write(formatPretty(line, colors)) };
}
