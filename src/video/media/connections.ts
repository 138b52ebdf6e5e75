import { randomUUID } from 'node:crypto';
import type { MetadataStore } from '../../store/store.js';
import { connectionLimitExceeded, PUT_MEDIA_CONNECTION_LIMIT } from './errors.js';

/**
 * The one-PutMedia-connection-per-stream rule across nodes (VIDEO-SPEC §3.4, §9.3): a lease in the
 * metadata store, renewed while the connection lives. The newest connection is refused while
 * another holds the lease (AWS's current quotas page; UNVERIFIED against the older "last one wins").
 * A node that dies leaves a lease that expires after LEASE_MS.
 */
export const LEASE_MS = 10_000;
export const LEASE_RENEW_MS = 3_000;

interface LeaseDoc {
  owner: string;
  expires: number;
}

export const connectionKey = (logsId: string) => `video-media/put-connection/${logsId}`;

export class PutMediaLease {
  private revision = 0;
  private timer?: NodeJS.Timeout;
  private released = false;
  private renewing = false;

  private constructor(private readonly meta: MetadataStore, private readonly key: string, private readonly owner: string) {}

  /** Takes the stream's lease or throws ConnectionLimitExceededException; `onLost` runs if another takes it or the stream goes. */
  static async acquire(meta: MetadataStore, key: string, onLost: () => void): Promise<PutMediaLease> {
    const lease = new PutMediaLease(meta, key, randomUUID());
    const existing = await meta.get<LeaseDoc>(key);
    if (existing && existing.value.expires > Date.now()) throw connectionLimitExceeded(PUT_MEDIA_CONNECTION_LIMIT);
    const revision = await meta.put<LeaseDoc>(key, { owner: lease.owner, expires: Date.now() + LEASE_MS }, existing?.revision ?? 0);
    if (revision === undefined) throw connectionLimitExceeded(PUT_MEDIA_CONNECTION_LIMIT);
    lease.revision = revision;
    lease.timer = setInterval(() => {
      // One renewal at a time: on a slow store a second one would race the first with the same
      // revision, lose the compare-and-set and take the lease for lost (STREAM_NOT_ACTIVE).
      if (lease.renewing) return;
      lease.renewing = true;
      void lease.renew().then((held) => {
        lease.renewing = false;
        if (!held && !lease.released) {
          lease.stop();
          onLost();
        }
      });
    }, LEASE_RENEW_MS);
    lease.timer.unref();
    return lease;
  }

  private async renew(): Promise<boolean> {
    if (this.released) return true;
    try {
      const revision = await this.meta.put<LeaseDoc>(this.key, { owner: this.owner, expires: Date.now() + LEASE_MS }, this.revision);
      if (revision === undefined) return false;
      this.revision = revision;
      return true;
    } catch {
      // A store hiccup is not a lost lease; the next renewal tries again.
      return true;
    }
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.stop();
    await this.meta.delete(this.key, this.revision).catch(() => false);
  }
}
