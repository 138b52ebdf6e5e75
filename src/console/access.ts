import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { Config } from '../config.js';
import type { ServerRequest } from '../protocol/http-exchange.js';

/**
 * Who may use the console (CONSOLE-SPEC §1.3.3, issue 18 §3). Signature checks are off by default,
 * so on a non-loopback address the console would be an open write API: there it is served only
 * with --console-token. A token travels as `Authorization: Bearer …` or as the cookie the index
 * page sets after `/_millrace/?token=…`.
 */

/** The cookie that carries the console token once the browser has given it. */
export const TOKEN_COOKIE = 'millrace_console';
/** Writes must carry this header: a cross-site form or `text/plain` post cannot (a CORS preflight would be needed). */
export const WRITE_HEADER = 'x-millrace-console';

export type ConsoleMode =
  | { served: false; reason: string }
  | { served: true; token?: string; readOnly: boolean };

/** Loopback: 127.0.0.0/8, ::1, ::ffff:127.x, and the name `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || /^::ffff:127\./i.test(bare);
  return false;
}

export function consoleMode(config: Pick<Config, 'host' | 'consoleToken' | 'noConsole' | 'consoleReadOnly'>): ConsoleMode {
  if (config.noConsole) return { served: false, reason: 'the console is off (--no-console)' };
  const token = config.consoleToken || undefined;
  if (!token && !isLoopbackHost(config.host)) {
    return { served: false, reason: 'the console is off: Millrace does not listen on loopback alone; start it with --console-token to serve the console there' };
  }
  return { served: true, token, readOnly: config.consoleReadOnly };
}

/** The token a request carries (Bearer header, then cookie). */
export function requestToken(req: ServerRequest): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice(7).trim();
  const cookies = req.headers.cookie;
  if (typeof cookies !== 'string') return undefined;
  for (const part of cookies.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === TOKEN_COOKIE) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/** Compares digests, so that neither length nor content leaks through timing. */
export function tokenMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(expected), digest(given));
}
