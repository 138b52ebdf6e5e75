import { randomBytes } from 'node:crypto';
import type { Store, Versioned } from '../../store/store.js';
import { dropDataKeys } from './data-keys.js';
import { shardLogName, type PendingChange, type StreamMeta } from './stream.js';

export interface Scope {
  account: string;
  region: string;
}

export interface LifecycleDelays {
  createStreamMs: number;
  deleteStreamMs: number;
  updateStreamMs: number;
}

/** Applies a pending change as the stream leaves UPDATING. Must be idempotent: a lost CAS race re-runs it. */
export type PendingApplier = (stream: StreamMeta, change: PendingChange, store: Store) => Promise<StreamMeta>;

const streamKey = (scope: Scope, name: string) => `stream/${scope.account}/${scope.region}/${name}`;
const scopePrefix = (scope: Scope) => `stream/${scope.account}/${scope.region}/`;

/** Stream ids follow the model's StreamId pattern `[a-z0-9]{20}-[a-z0-9]{3}`. */
export function newStreamId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const pick = (n: number) => Array.from(randomBytes(n), (b) => alphabet[b % alphabet.length]).join('');
  return `${pick(20)}-${pick(3)}`;
}

/**
 * Stream metadata with its lifecycle (KINESIS-SPEC §5.1). Transitional states carry the time they
 * end; whoever reads a stream after that time completes the transition with a compare-and-set,
 * so no timer or node has to survive for CREATING to become ACTIVE, and several nodes agree.
 */
export class Streams {
  private readonly appliers = new Map<string, PendingApplier>();

  constructor(
    private readonly store: Store,
    readonly delays: LifecycleDelays,
  ) {}

  onPending(kind: string, applier: PendingApplier): void {
    this.appliers.set(kind, applier);
  }

  async find(scope: Scope, name: string): Promise<StreamMeta | undefined> {
    // findVersioned's steps, inline: every data-plane request looks its stream up.
    const entry = await this.store.meta.get<StreamMeta>(streamKey(scope, name));
    if (!entry || entry.value.statusUntil === undefined) return entry?.value;
    return (await this.settle(entry))?.value;
  }

  /**
   * find's answer when it is at hand: the stream's document is cached by the store and in no
   * transition. Undefined otherwise, and then find is asked (data-plane requests skip its promise).
   */
  findCached(scope: Scope, name: string): StreamMeta | undefined {
    const entry = this.store.meta.cached?.<StreamMeta>(streamKey(scope, name));
    return entry !== undefined && entry.value.statusUntil === undefined ? entry.value : undefined;
  }

  async findVersioned(scope: Scope, name: string): Promise<Versioned<StreamMeta> | undefined> {
    const entry = await this.store.meta.get<StreamMeta>(streamKey(scope, name));
    // A stream in no transition (the usual case) is itself: no settling step to wait for.
    if (!entry || entry.value.statusUntil === undefined) return entry;
    return this.settle(entry);
  }

  /** Every stream of an account in a region, in name order. */
  async list(scope: Scope): Promise<StreamMeta[]> {
    return this.settleAll(await this.store.meta.list<StreamMeta>(scopePrefix(scope)));
  }

  /** Every stream of every account (background work). */
  async listAll(): Promise<StreamMeta[]> {
    return this.settleAll(await this.store.meta.list<StreamMeta>('stream/'));
  }

  private async settleAll(entries: Versioned<StreamMeta>[]): Promise<StreamMeta[]> {
    const settled = await Promise.all(entries.map((entry) => this.settle(entry)));
    return settled.filter((entry): entry is Versioned<StreamMeta> => entry !== undefined).map((entry) => entry.value);
  }

  /** False when a stream of that name exists already. */
  async create(stream: StreamMeta): Promise<boolean> {
    return (await this.store.meta.put(streamKey(stream, stream.name), stream, 0)) !== undefined;
  }

  /**
   * Read-modify-write with compare-and-set, retried on conflict. `change` sees the current stream
   * and returns the new state, or undefined to leave it as it is; it may throw an AwsError.
   * Resolves to the stored state, or undefined when the stream does not exist.
   */
  async update(scope: Scope, name: string, change: (stream: StreamMeta) => StreamMeta | undefined): Promise<StreamMeta | undefined> {
    for (;;) {
      const entry = await this.findVersioned(scope, name);
      if (!entry) return undefined;
      const next = change(structuredClone(entry.value));
      if (!next) return entry.value;
      const revision = await this.store.meta.put(entry.key, next, entry.revision);
      if (revision !== undefined) return this.settle({ ...entry, value: next, revision }).then((e) => e?.value);
    }
  }

  /** Completes transitions whose time has come; undefined once a deleted stream is gone. */
  private async settle(entry: Versioned<StreamMeta>): Promise<Versioned<StreamMeta> | undefined> {
    for (;;) {
      const stream = entry.value;
      if (stream.statusUntil === undefined || Date.now() < stream.statusUntil) return entry;
      if (stream.status === 'DELETING') {
        await this.purge(entry);
        return undefined;
      }
      let next: StreamMeta = { ...stream, status: 'ACTIVE', statusUntil: undefined, pending: undefined };
      if (stream.pending) {
        const applier = this.appliers.get(stream.pending.kind);
        if (!applier) throw new Error(`no applier for pending change ${stream.pending.kind}`);
        next = await applier(next, stream.pending, this.store);
      }
      const revision = await this.store.meta.put(entry.key, next, entry.revision);
      if (revision !== undefined) return { ...entry, value: next, revision };
      const current = await this.store.meta.get<StreamMeta>(entry.key);
      if (!current) return undefined;
      entry = current;
    }
  }

  /** Removes a deleted stream's records, then its metadata. */
  private async purge(entry: Versioned<StreamMeta>): Promise<void> {
    for (const shard of entry.value.shards) await this.store.records.drop(shardLogName(entry.value, shard));
    // What belonged to this incarnation only: its data keys and its subscription leases.
    await dropDataKeys(this.store, entry.value.id);
    for (const lease of await this.store.meta.list(`subscription/${entry.value.id}/`)) await this.store.meta.delete(lease.key, lease.revision);
    await this.store.meta.delete(entry.key, entry.revision);
  }
}
