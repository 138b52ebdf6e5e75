import { AwsError, invalidArgument } from '../../protocol/errors.js';
import type { Store } from '../../store/store.js';
import { openToken, sealToken, tokenKey } from './tokens.js';

/** NextTokens expire after 300 s (KINESIS-SPEC §3.6, §4.9). */
export const NEXT_TOKEN_LIFETIME_MS = 300_000;

interface PageToken {
  op: string;
  /** When the token was issued (epoch ms). */
  t?: number;
  [field: string]: unknown;
}

export async function sealPageToken(store: Store, payload: PageToken): Promise<string> {
  return sealToken(await tokenKey(store), { ...payload, t: Date.now() });
}

/** The token's payload; InvalidArgumentException if it is not one of ours for `op`, ExpiredNextTokenException if old. */
export async function openPageToken<T extends PageToken = PageToken & { after?: string }>(store: Store, token: string, op: string): Promise<T> {
  const payload = openToken<T>(await tokenKey(store), token);
  if (!payload || payload.op !== op) throw invalidArgument('Invalid NextToken.');
  if (Date.now() - (payload.t ?? 0) > NEXT_TOKEN_LIFETIME_MS) {
    throw new AwsError('ExpiredNextTokenException', `The NextToken has expired. NextTokens are valid for ${NEXT_TOKEN_LIFETIME_MS / 1000} seconds.`);
  }
  return payload;
}
