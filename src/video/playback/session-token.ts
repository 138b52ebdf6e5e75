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

export class SessionKeys {
  private key: Promise<Buffer> | undefined;

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
  async verify(token: string, now = Date.now()): Promise<PlaybackSession | 'invalid' | 'expired'> {
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
    if (!(session.expires > now)) return 'expired';
    return session;
  }
}
