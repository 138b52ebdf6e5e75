import type { MetadataStore } from '../store/store.js';
import type { LeaseRecord } from './lease-record.js';

/** The work's lease is no longer its own: another node took it, it lapsed, or the node is stopping. */
export class LeaseLostError extends Error {
  constructor(
    readonly lease: string,
    reason: string,
  ) {
    super(`lease ${lease} lost: ${reason}`);
    this.name = 'LeaseLostError';
  }
}

/** A progress record changed since this holder read it (a late write of an earlier term): read it again. */
export class ProgressMovedError extends Error {
  constructor(readonly key: string) {
    super(`progress ${key} was written by someone else since it was read`);
    this.name = 'ProgressMovedError';
  }
}

/** What a progress key holds: the value and the lease term that wrote it. */
export interface ProgressRecord<T> {
  term: number;
  value: T;
}

/**
 * Progress records of one lease term, fenced by the term. A write first checks that the lease
 * record still names this node and term, then compare-and-sets the progress record at the
 * revision this holder last saw; a record written by a later term is never overwritten (the terms
 * stored along a progress key only grow). Between the check and the write a new holder may just
 * have taken the lease: if it has written the key since, the compare-and-set fails; if it has not,
 * it reads this last write when it starts, so nothing is lost either way.
 */
export class FencedProgress {
  /** Revision of each key as this holder last read or wrote it. */
  private readonly revisions = new Map<string, number>();

  constructor(
    private readonly meta: MetadataStore,
    private readonly lease: string,
    private readonly leaseKey: string,
    private readonly node: string,
    private readonly term: number,
    private readonly signal: AbortSignal,
  ) {}

  async read<T>(key: string): Promise<T | undefined> {
    const entry = await this.meta.get<ProgressRecord<T>>(key);
    this.revisions.set(key, entry?.revision ?? 0);
    if (entry && entry.value.term > this.term) throw new LeaseLostError(this.lease, `${key} was written by term ${entry.value.term}`);
    return entry?.value.value;
  }

  async write<T>(key: string, value: T): Promise<void> {
    await this.verify();
    if (!this.revisions.has(key)) await this.read(key);
    const revision = await this.meta.put<ProgressRecord<T>>(key, { term: this.term, value }, this.revisions.get(key)!);
    if (revision !== undefined) {
      this.revisions.set(key, revision);
      return;
    }
    this.revisions.delete(key);
    const current = await this.meta.get<ProgressRecord<unknown>>(key);
    if (current && current.value.term > this.term) throw new LeaseLostError(this.lease, `${key} was written by term ${current.value.term}`);
    throw new ProgressMovedError(key);
  }

  /** Throws LeaseLostError unless the store still names this node and term as the holder. */
  async verify(): Promise<void> {
    if (this.signal.aborted) throw new LeaseLostError(this.lease, 'the work was stopped');
    const entry = await this.meta.get<LeaseRecord>(this.leaseKey);
    if (!entry || entry.value.owner !== this.node || entry.value.term !== this.term) {
      const now = entry ? `held by ${entry.value.owner || 'nobody'} in term ${entry.value.term}` : 'no lease record';
      throw new LeaseLostError(this.lease, `term ${this.term} is over (${now})`);
    }
  }
}
