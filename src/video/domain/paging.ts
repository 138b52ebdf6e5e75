import { INVALID_NEXT_TOKEN, invalidArgument } from '../errors.js';

/**
 * Control-plane NextTokens (model pattern `[a-zA-Z0-9+/=]*`, ≤ 1024): base64 of the last name
 * returned, so paging survives restarts and works on any node.
 */
export const encodeNextToken = (lastName: string): string => Buffer.from(`n:${lastName}`, 'utf8').toString('base64');

/** The name a NextToken continues after; InvalidArgumentException for one Millrace did not issue. */
export function decodeNextToken(token: string | undefined): string | undefined {
  if (token === undefined || token === '') return undefined;
  const text = Buffer.from(token, 'base64').toString('utf8');
  if (!text.startsWith('n:') || encodeNextToken(text.slice(2)) !== token) throw invalidArgument(INVALID_NEXT_TOKEN);
  return text.slice(2);
}

/** One page of `items` (sorted by `nameOf`) after the token's name. */
export function page<T>(items: T[], nameOf: (item: T) => string, nextToken: string | undefined, maxResults: number): { items: T[]; nextToken?: string } {
  const after = decodeNextToken(nextToken);
  const rest = after === undefined ? items : items.filter((item) => nameOf(item) > after);
  const slice = rest.slice(0, maxResults);
  return { items: slice, nextToken: rest.length > maxResults ? encodeNextToken(nameOf(slice[slice.length - 1])) : undefined };
}
