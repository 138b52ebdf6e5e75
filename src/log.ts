import { pino, type Logger } from 'pino';

/** Structured logs on stderr: one line per request at debug, failures at warn (DESIGN.md "Edges"). */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'millrace' } }, pino.destination(2));
}
