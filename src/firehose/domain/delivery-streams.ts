import type { Store, Versioned } from '../../store/store.js';
import { ALL_DELIVERY_STREAMS_PREFIX, deliveryStreamKey, deliveryStreamPrefix, ingestLogName, progressKey, type DeliveryStreamDocument } from './delivery-stream.js';

export interface Scope {
  account: string;
  region: string;
}

/**
 * Delivery stream documents in the metadata store, with their lifecycle (FIREHOSE-SPEC §3).
 * Transitional states carry the time they end (`pendingUntil`, `encryptionPendingUntil`); whoever
 * reads a stream after that time completes the transition with a compare-and-set, so no timer has
 * to survive and several nodes agree (as kinesis/domain/streams.ts does for streams).
 */
export class DeliveryStreams {
  constructor(private readonly store: Store) {}

  async find(scope: Scope, name: string): Promise<DeliveryStreamDocument | undefined> {
    return (await this.findVersioned(scope, name))?.value;
  }

  async findVersioned(scope: Scope, name: string): Promise<Versioned<DeliveryStreamDocument> | undefined> {
    const entry = await this.store.meta.get<DeliveryStreamDocument>(deliveryStreamKey(scope.account, scope.region, name));
    return entry && this.settle(entry);
  }

  /** Every delivery stream of an account in a region, in name order. */
  async list(scope: Scope): Promise<DeliveryStreamDocument[]> {
    const entries = await this.store.meta.list<DeliveryStreamDocument>(deliveryStreamPrefix(scope.account, scope.region));
    const settled = await Promise.all(entries.map((entry) => this.settle(entry)));
    return settled.filter((e): e is Versioned<DeliveryStreamDocument> => e !== undefined).map((e) => e.value);
  }

  /** Every delivery stream of every account, transitions completed (the lifecycle sweep). */
  async listAll(): Promise<DeliveryStreamDocument[]> {
    const entries = await this.store.meta.list<DeliveryStreamDocument>(ALL_DELIVERY_STREAMS_PREFIX);
    const settled = await Promise.all(entries.map((entry) => this.settle(entry)));
    return settled.filter((e): e is Versioned<DeliveryStreamDocument> => e !== undefined).map((e) => e.value);
  }

  /** How many documents the account has in the region (deleted ones still count until purged). */
  async count(scope: Scope): Promise<number> {
    return (await this.store.meta.list(deliveryStreamPrefix(scope.account, scope.region))).length;
  }

  /** False when a stream of that name exists already. */
  async create(stream: DeliveryStreamDocument): Promise<boolean> {
    return (await this.store.meta.put(deliveryStreamKey(stream.account, stream.region, stream.name), stream, 0)) !== undefined;
  }

  /**
   * Read-modify-write with compare-and-set, retried on conflict. `change` sees a copy of the current
   * document and returns the new one, or undefined to leave it; it may throw an AwsError.
   * Resolves to the stored document, or undefined when the stream does not exist.
   */
  async update(
    scope: Scope,
    name: string,
    change: (stream: DeliveryStreamDocument) => DeliveryStreamDocument | undefined | Promise<DeliveryStreamDocument | undefined>,
  ): Promise<DeliveryStreamDocument | undefined> {
    for (;;) {
      const entry = await this.findVersioned(scope, name);
      if (!entry) return undefined;
      const next = await change(structuredClone(entry.value));
      if (!next) return entry.value;
      const revision = await this.store.meta.put(entry.key, next, entry.revision);
      if (revision !== undefined) return (await this.settle({ ...entry, value: next, revision }))?.value;
    }
  }

  /** Completes transitions whose time has come; undefined once a deleted stream is gone. */
  private async settle(entry: Versioned<DeliveryStreamDocument>): Promise<Versioned<DeliveryStreamDocument> | undefined> {
    for (;;) {
      const next = settled(entry.value, Date.now());
      if (next === entry.value) return entry;
      if (next === undefined) {
        await this.purge(entry);
        return undefined;
      }
      const revision = await this.store.meta.put(entry.key, next, entry.revision);
      if (revision !== undefined) return { ...entry, value: next, revision };
      const current = await this.store.meta.get<DeliveryStreamDocument>(entry.key);
      if (!current) return undefined;
      entry = current;
    }
  }

  /** Removes a deleted stream's ingest log and progress records, then its document. */
  async purge(entry: Versioned<DeliveryStreamDocument>): Promise<void> {
    await this.store.records.drop(ingestLogName(entry.value));
    for (const progress of await this.store.meta.list(progressKey(entry.value, ''))) await this.store.meta.delete(progress.key, progress.revision);
    await this.store.meta.delete(entry.key, entry.revision);
  }
}

/** The document after the transitions due at `now`: the same object when none is, undefined when deleted. */
export function settled(stream: DeliveryStreamDocument, now: number): DeliveryStreamDocument | undefined {
  let next = stream;
  if (stream.pendingUntil !== undefined && now >= stream.pendingUntil) {
    if (stream.status === 'DELETING') return undefined;
    if (stream.status === 'CREATING') next = { ...next, status: 'ACTIVE', pendingUntil: undefined };
  }
  const encryption = next.encryption;
  if (encryption && next.encryptionPendingUntil !== undefined && now >= next.encryptionPendingUntil) {
    const status = encryption.Status === 'ENABLING' ? 'ENABLED' : encryption.Status === 'DISABLING' ? 'DISABLED' : encryption.Status;
    next = { ...next, encryption: { ...encryption, Status: status }, encryptionPendingUntil: undefined };
  }
  return next;
}
