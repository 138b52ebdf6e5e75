import type { Store } from '../../store/store.js';
import type { VideoStreamDoc } from '../domain/video-stream.js';
import type { AckErrorCode } from './acks.js';
import { FragmentStore } from './fragment-store.js';
import { NO_RETENTION_WINDOW_MS } from './limits.js';

/**
 * What the media operations share on one node: the fragment store, and the live connections of
 * this node (to end them when their stream is deleted, and for --enforce-limits counts). Nothing
 * here is authoritative: the one-connection rule lives in the store (connections.ts).
 */
export class MediaRuntime {
  readonly fragments: FragmentStore;
  /** PutMedia sessions on this node by StreamARN: each takes the ack error that ends it. */
  readonly putSessions = new Map<string, Set<(code: AckErrorCode) => void>>();
  /** GetMedia / GetMediaForFragmentList connections on this node by StreamARN. */
  readonly readers = new Map<string, number>();
  /** Media of this node's PutMedia connections not yet durable (the node-wide back-pressure bound). */
  readonly unpersisted = { bytes: 0 };
  /** PutMedia request times per StreamARN in the last second (--enforce-limits TPS). */
  private readonly putTimes = new Map<string, number[]>();

  constructor(readonly store: Store, readonly enforceLimits: boolean) {
    this.fragments = new FragmentStore(store);
  }

  /** Whether another PutMedia request on the stream fits in the per-second rate. */
  admitPut(arn: string, perSecond: number): boolean {
    const now = Date.now();
    const times = (this.putTimes.get(arn) ?? []).filter((t) => t > now - 1000);
    if (times.length >= perSecond) {
      this.putTimes.set(arn, times);
      return false;
    }
    times.push(now);
    this.putTimes.set(arn, times);
    return true;
  }

  onPutSession(arn: string, end: (code: AckErrorCode) => void): () => void {
    let set = this.putSessions.get(arn);
    if (!set) this.putSessions.set(arn, (set = new Set()));
    set.add(end);
    return () => {
      set!.delete(end);
      if (set!.size === 0) this.putSessions.delete(arn);
    };
  }

  /** Counts a reader in; false (and not counted) when `limit` are already open. */
  openReader(arn: string, limit: number | undefined): boolean {
    const open = this.readers.get(arn) ?? 0;
    if (limit !== undefined && open >= limit) return false;
    this.readers.set(arn, open + 1);
    return true;
  }

  closeReader(arn: string): void {
    const open = (this.readers.get(arn) ?? 1) - 1;
    if (open <= 0) this.readers.delete(arn);
    else this.readers.set(arn, open);
  }
}

/** Oldest commit time still served: the stream's retention, or the live window of a stream that keeps nothing. */
export function retentionHorizon(stream: VideoStreamDoc, now = Date.now()): number {
  return now - (stream.DataRetentionInHours > 0 ? stream.DataRetentionInHours * 3_600_000 : NO_RETENTION_WINDOW_MS);
}

/** Streams whose media can be written and read. */
export const servesMedia = (stream: VideoStreamDoc | undefined): stream is VideoStreamDoc => stream?.Status === 'ACTIVE' || stream?.Status === 'UPDATING';
