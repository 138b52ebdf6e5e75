import { createHash } from 'node:crypto';

/**
 * Paging tokens: an offset bound to the request it continues (a hash of its filters), so a token
 * reused with other filters is refused rather than answering a wrong page.
 */
const bindingOf = (binding: string) => createHash('sha256').update(binding).digest('base64url').slice(0, 16);

export function pageToken(offset: number | number[], binding: string): string {
  return Buffer.from(JSON.stringify({ o: offset, b: bindingOf(binding) })).toString('base64url');
}

export function readPageToken<T extends number | number[] = number>(token: string, binding: string, invalid: () => Error): T {
  let parsed: { o?: unknown; b?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const valid = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  if (parsed?.b !== bindingOf(binding) || !(valid(parsed.o) || (Array.isArray(parsed.o) && parsed.o.every(valid)))) throw invalid();
  return parsed.o as T;
}
