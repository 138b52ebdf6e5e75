import type { Frame } from './matroska.js';

/**
 * Parsed fragments kept on one node for the playback URLs: a fragment is immutable once its
 * record is committed (fragment-store.ts), so its frames, read and parsed once, serve every later
 * request for it (players of one LIVE stream all ask for the newest few fragments). Reading a
 * fragment out of the store copies its bytes and parsing walks every block; both showed as most
 * of a media-fragment request in profiles.
 *
 * The cache never decides whether a fragment may be served: callers look the fragment's record up
 * in the store first (stream still there, record within retention), and only then take its frames
 * from here. Keys name the stream incarnation (its logs, from the ARN with its creation time), so
 * a deleted and re-created stream never meets the old one's entries; `forget` frees them sooner.
 */

/** Bytes of fragment media kept per node (the memory a few busy LIVE streams' newest fragments need). */
export const MAX_CACHED_FRAGMENT_BYTES = 64 * 1024 * 1024;
/** A fragment larger than this share of the cache is parsed per request, not kept (it would evict many). */
const MAX_ENTRY_SHARE = 8;

interface Entry {
  frames: Frame[];
  /** Memory the frames hold: the distinct buffers their payloads are slices of. */
  bytes: number;
}

export class FragmentCache {
  /** Least recently used first (a hit moves its entry to the end). */
  private readonly entries = new Map<string, Entry>();
  /** Loads in flight, so concurrent requests for one fragment read it once. */
  private readonly loading = new Map<string, Promise<Frame[]>>();
  private total = 0;

  constructor(readonly maxBytes = MAX_CACHED_FRAGMENT_BYTES) {}

  /** Bytes held now (≤ maxBytes). */
  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The frames under `key`, loaded by `load` (and kept, if they fit) when they are not here. */
  frames(key: string, load: () => Promise<Frame[]>): Promise<Frame[]> {
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
      return Promise.resolve(entry.frames);
    }
    if (this.maxBytes <= 0) return load();
    let pending = this.loading.get(key);
    if (!pending) {
      pending = load().then(
        (frames) => {
          this.loading.delete(key);
          this.keep(key, frames);
          return frames;
        },
        (error: unknown) => {
          this.loading.delete(key);
          throw error;
        },
      );
      this.loading.set(key, pending);
    }
    return pending;
  }

  /** Drops every entry whose key starts with `prefix` (a deleted stream's). */
  forget(prefix: string): void {
    for (const [key, entry] of this.entries) {
      if (!key.startsWith(prefix)) continue;
      this.entries.delete(key);
      this.total -= entry.bytes;
    }
  }

  private keep(key: string, frames: Frame[]): void {
    const bytes = heldBytes(frames);
    if (bytes > this.maxBytes / MAX_ENTRY_SHARE || this.entries.has(key)) return;
    for (const [oldest, entry] of this.entries) {
      if (this.total + bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.total -= entry.bytes;
    }
    this.entries.set(key, { frames, bytes });
    this.total += bytes;
  }
}

/** The memory behind the frames' payloads: each distinct underlying buffer once, whole. */
function heldBytes(frames: Frame[]): number {
  const seen = new Set<ArrayBufferLike>();
  let bytes = 0;
  for (const { data } of frames) {
    if (seen.has(data.buffer)) continue;
    seen.add(data.buffer);
    bytes += data.buffer.byteLength;
  }
  return bytes;
}
