import { invalidInput } from './errors.js';

/**
 * Glue's NextToken is opaque; Millrace's names the last entry of the page it ends (self-contained:
 * any node serves the next page). A token that does not open is refused (text UNVERIFIED).
 */
export const INVALID_NEXT_TOKEN_MESSAGE = 'Invalid NextToken';

export function sealNextToken(lastName: string): string {
  return Buffer.from(JSON.stringify({ after: lastName }), 'utf8').toString('base64url');
}

export function openNextToken(token: string | undefined): string | undefined {
  if (token === undefined || token === '') return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'string') return parsed.after;
  } catch {
    // falls through to the refusal
  }
  throw invalidInput(INVALID_NEXT_TOKEN_MESSAGE);
}

/** One page of `items` (sorted by name) after the token's entry. */
export function page<T extends { Name: string }>(items: T[], nextToken: string | undefined, maxResults: number | undefined, defaultPage: number): { items: T[]; nextToken?: string } {
  const after = openNextToken(nextToken);
  const rest = after === undefined ? items : items.filter((item) => item.Name > after);
  const size = maxResults ?? defaultPage;
  const items_ = rest.slice(0, size);
  return { items: items_, nextToken: rest.length > items_.length ? sealNextToken(items_.at(-1)!.Name) : undefined };
}
