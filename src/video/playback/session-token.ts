import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Store } from '../../store/store.js';

/**
 * HLS/DASH session tokens (VIDEO-SPEC §9.3 "Distributed mode"): the whole session — stream,
 * mode, range, options, expiry — in the token itself, signed with HMAC-SHA256 under a key kept in
 * the store, so any node serves any session and a restart breaks no player. AWS's tokens are
 * opaque, URL-safe and end in `~`; these are `<base64url payload>~<base64url mac>~`
 * (no dot, so no player mistakes a part of the token for a file extension).
 */

export type PlaybackMode = 'LIVE' | 'LIVE_REPLAY' | 'ON_DEMAND';
export type SelectorType = 'SERVER_TIMESTAMP' | 'PRODUCER_TIMESTAMP';

export interface PlaybackSession {
  /** Which protocol the session was made for. */
  protocol: 'hls' | 'dash';
  streamArn: string;
  account: string;
  region: string;
  mode: PlaybackMode;
  container: 'FRAGMENTED_MP4' | 'MPEG_TS';
  selector: SelectorType;
  /** Range (epoch ms), inclusive, on fragment start. */
  start?: number;
  end?: number;
  discontinuity: 'ALWAYS' | 'NEVER' | 'ON_DISCONTINUITY';
  displayTimestamp: boolean;
  displayFragmentNumber: boolean;
  maxResults: number;
  /** When the session was made (epoch ms): LIVE_REPLAY paces from here. */
  created: number;
  /** Expiry, epoch ms. */
  expires: number;
}

/** Metadata key of the signing key (random, made once per store by whichever node asks first). */
export const SESSION_KEY_KEY = 'video-playback/session-key';
const KEY_BYTES = 32;
const TOKEN_SUFFIX = '~';
/**
 * Tokens whose signature this node has checked, with their sessions (a player sends its token with
 * every playlist and fragment request; the HMAC and JSON decoding were paid on each). The signing
 * key never changes, so a checked token stays good; expiry is still compared on every use.
 */
export const MAX_VERIFIED_TOKENS = 1024;

export class SessionKeys {
  private key: Promise<Buffer> | undefined;
  /** Oldest first; a full map drops its oldest entry. Sessions are frozen: requests share them. */
  private readonly verified = new Map<string, Readonly<PlaybackSession>>();

  constructor(private readonly store: Store) {}

  /** The store's key; made (CAS, so every node agrees) the first time any node needs it. */
  signingKey(): Promise<Buffer> {
    this.key ??= this.load().catch((error) => {
      this.key = undefined;
      throw error;
    });
    return this.key;
  }

  private async load(): Promise<Buffer> {
    for (;;) {
      const existing = await this.store.meta.get<string>(SESSION_KEY_KEY);
      if (existing) return Buffer.from(existing.value, 'base64');
      if ((await this.store.meta.put(SESSION_KEY_KEY, randomBytes(KEY_BYTES).toString('base64'), 0)) !== undefined) continue;
    }
  }

  async sign(session: PlaybackSession): Promise<string> {
    const payload = Buffer.from(JSON.stringify(session)).toString('base64url');
    const mac = createHmac('sha256', await this.signingKey()).update(payload).digest('base64url');
    return `${payload}${TOKEN_SUFFIX}${mac}${TOKEN_SUFFIX}`;
  }

  /** The session a token carries, or why it is refused: 'invalid' (not ours, or altered) or 'expired'. */
  async verify(token: string, now = Date.now()): Promise<Readonly<PlaybackSession> | 'invalid' | 'expired'> {
    const known = this.verified.get(token);
    if (known) return known.expires > now ? known : 'expired';
    const checked = await this.check(token);
    if (typeof checked === 'string') return checked;
    if (this.verified.size >= MAX_VERIFIED_TOKENS) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, Object.freeze(checked));
    return checked.expires > now ? checked : 'expired';
  }

  /** The session a token carries if its signature is ours ('invalid' otherwise), expired or not. */
  private async check(token: string): Promise<PlaybackSession | 'invalid'> {
    if (!token.endsWith(TOKEN_SUFFIX)) return 'invalid';
    const dot = token.indexOf(TOKEN_SUFFIX);
    if (dot <= 0) return 'invalid';
    const payload = token.slice(0, dot);
    const mac = Buffer.from(token.slice(dot + 1, -TOKEN_SUFFIX.length), 'base64url');
    const expected = createHmac('sha256', await this.signingKey()).update(payload).digest();
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return 'invalid';
    let session: PlaybackSession;
    try {
      session = JSON.parse(Buffer.from(payload, 'base64url').toString()) as PlaybackSession;
    } catch {
      return 'invalid';
    }
    if (typeof session !== 'object' || session === null) return 'invalid';
    return session;
  }
}
