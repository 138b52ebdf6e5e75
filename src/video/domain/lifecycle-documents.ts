import type { Logger } from 'pino';
import type { Store, Versioned } from '../../store/store.js';

/** What a document with a timed status transition carries (streams and signaling channels). */
export interface LifecycleFields {
  /** When the current transitional status ends (epoch ms); absent when none is pending. */
  pendingUntil?: number;
}

/**
 * Metadata documents with timed transitions (CREATING → ACTIVE, UPDATING → ACTIVE, DELETING →
 * gone), as firehose/domain/delivery-streams.ts keeps them: a transition carries the time it ends,
 * and whoever reads the document after that time completes it with a compare-and-set, so no timer
 * has to survive a restart and several nodes agree.
 */
export class LifecycleDocuments<T extends LifecycleFields> {
  private readonly purgeListeners: Array<(doc: T) => Promise<void>> = [];

  constructor(
    protected readonly store: Store,
    /** The status after the transition due at `now`: the same object when none is, undefined when the document is to go. */
    private readonly settled: (doc: T, now: number) => T | undefined,
    private readonly log?: Logger,
  ) {}

  /**
   * Called before a deleted document is removed (e.g. to drop its media); a listener that throws
   * leaves the document DELETING (the failure is logged, the reader sees DELETING), and the next
   * read or sweep tries again.
   */
  whenPurged(listener: (doc: T) => Promise<void>): void {
    this.purgeListeners.push(listener);
  }

  async getVersioned(key: string): Promise<Versioned<T> | undefined> {
    const entry = await this.store.meta.get<T>(key);
    return entry && this.settle(entry);
  }

  /** Every document under `prefix`, transitions completed, in key order. */
  async listUnder(prefix: string): Promise<T[]> {
    const entries = await this.store.meta.list<T>(prefix);
    const settled = await Promise.all(entries.map((entry) => this.settle(entry)));
    return settled.filter((e): e is Versioned<T> => e !== undefined).map((e) => e.value);
  }

  /** How many documents are under `prefix`, deleted ones included until purged. */
  async countUnder(prefix: string): Promise<number> {
    return (await this.store.meta.list(prefix)).length;
  }

  /** False when a document exists under that key already. */
  async createAt(key: string, doc: T): Promise<boolean> {
    if ((await this.store.meta.put(key, doc, 0)) === undefined) return false;
    // A zero delay completes the transition at once, so the caller's next read already sees it.
    await this.getVersioned(key);
    return true;
  }

  /**
   * Read-modify-write with compare-and-set, retried on conflict. `change` sees a copy of the
   * current document and returns the new one, or undefined to leave it; it may throw an AwsError.
   * Resolves to the stored document (transitions due completed), or undefined when there is none.
   */
  async updateAt(key: string, change: (doc: T) => T | undefined | Promise<T | undefined>): Promise<T | undefined> {
    for (;;) {
      const entry = await this.getVersioned(key);
      if (!entry) return undefined;
      const next = await change(structuredClone(entry.value));
      if (!next) return entry.value;
      const revision = await this.store.meta.put(entry.key, next, entry.revision);
      if (revision !== undefined) return (await this.settle({ ...entry, value: next, revision }))?.value ?? next;
    }
  }

  private async settle(entry: Versioned<T>): Promise<Versioned<T> | undefined> {
    for (;;) {
      const next = this.settled(entry.value, Date.now());
      if (next === entry.value) return entry;
      if (next === undefined) {
        try {
          await this.purge(entry);
        } catch (err) {
          this.log?.warn({ err, key: entry.key }, 'purging a deleted video resource failed; it stays DELETING and is retried');
          return entry;
        }
        return undefined;
      }
      const revision = await this.store.meta.put(entry.key, next, entry.revision);
      if (revision !== undefined) return { ...entry, value: next, revision };
      const current = await this.store.meta.get<T>(entry.key);
      if (!current) return undefined;
      entry = current;
    }
  }

  private async purge(entry: Versioned<T>): Promise<void> {
    for (const listener of this.purgeListeners) await listener(entry.value);
    await this.store.meta.delete(entry.key, entry.revision);
  }
}

/** The common lifecycle: CREATING / UPDATING end in ACTIVE, DELETING ends in removal. */
export function settledStatus<T extends LifecycleFields>(statusOf: (doc: T) => string, withStatus: (doc: T, status: 'ACTIVE') => T) {
  return (doc: T, now: number): T | undefined => {
    if (doc.pendingUntil === undefined || now < doc.pendingUntil) return doc;
    if (statusOf(doc) === 'DELETING') return undefined;
    return { ...withStatus(doc, 'ACTIVE'), pendingUntil: undefined };
  };
}
