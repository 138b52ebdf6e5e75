import type { MetadataStore } from '../../store/store.js';
import { ownedPrefix, type ApplicationDoc } from './application.js';

/** One application snapshot (SnapshotDetails), with where the runner keeps its state. */
export interface SnapshotDoc {
  name: string;
  status: 'CREATING' | 'READY' | 'DELETING' | 'FAILED';
  versionId: number;
  createMillis: number;
  runtime: string;
  encryption?: { KeyType: string; KeyId?: string };
  /** The runner's reference to the state it saved (SnapshotRef.state); opaque here. */
  state?: string;
}

type Owner = Pick<ApplicationDoc, 'account' | 'region' | 'name' | 'createMillis'>;

export class Snapshots {
  constructor(private readonly meta: MetadataStore) {}

  /** Stores a new snapshot; false when the name is taken. */
  async create(app: Owner, snapshot: SnapshotDoc): Promise<boolean> {
    return (await this.meta.put(ownedPrefix('snapshot', app) + snapshot.name, snapshot, 0)) !== undefined;
  }

  async set(app: Owner, snapshot: SnapshotDoc): Promise<void> {
    const key = ownedPrefix('snapshot', app) + snapshot.name;
    const current = await this.meta.get<SnapshotDoc>(key);
    await this.meta.put(key, snapshot, current?.revision ?? 0);
  }

  async get(app: Owner, name: string): Promise<SnapshotDoc | undefined> {
    return (await this.meta.get<SnapshotDoc>(ownedPrefix('snapshot', app) + name))?.value;
  }

  /** Oldest first. */
  async list(app: Owner): Promise<SnapshotDoc[]> {
    const all = (await this.meta.list<SnapshotDoc>(ownedPrefix('snapshot', app))).map((entry) => entry.value);
    return all.sort((a, b) => a.createMillis - b.createMillis || a.name.localeCompare(b.name));
  }

  /** The newest READY snapshot (RESTORE_FROM_LATEST_SNAPSHOT). */
  async latest(app: Owner): Promise<SnapshotDoc | undefined> {
    return (await this.list(app)).filter((s) => s.status === 'READY').at(-1);
  }

  async delete(app: Owner, name: string): Promise<boolean> {
    const key = ownedPrefix('snapshot', app) + name;
    const current = await this.meta.get(key);
    return current ? this.meta.delete(key, current.revision) : false;
  }
}
