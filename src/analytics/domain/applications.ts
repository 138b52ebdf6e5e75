import type { MetadataStore, Versioned } from '../../store/store.js';
import {
  applicationKey,
  applicationPrefix,
  KEY_PREFIX,
  newConditionalToken,
  ownedPrefix,
  type ApplicationConfig,
  type ApplicationDoc,
  type ApplicationStatus,
} from './application.js';

/** One entry of the versions history (DescribeApplicationVersion, ListApplicationVersions, RollbackApplication). */
export interface VersionDoc {
  versionId: number;
  /** The application's status while this version was current (the last one seen). */
  status: ApplicationStatus;
  createMillis: number;
  config: ApplicationConfig;
  versionUpdatedFrom?: number;
  rolledBackFrom?: number;
  rolledBackTo?: number;
}

/** Width of version numbers in keys, so that keys list in version order (ApplicationVersionId ≤ 999,999,999). */
const VERSION_KEY_DIGITS = 9;
/** Compare-and-set retries before a write gives up (another writer kept changing the document). */
const CAS_ATTEMPTS = 20;

export class ConcurrentUpdateError extends Error {}

/** The applications of every account and region, and what each owns, in the metadata store. */
export class Applications {
  constructor(readonly meta: MetadataStore) {}

  get(account: string, region: string, name: string): Promise<Versioned<ApplicationDoc> | undefined> {
    return this.meta.get<ApplicationDoc>(applicationKey(account, region, name));
  }

  async list(account: string, region: string): Promise<ApplicationDoc[]> {
    return (await this.meta.list<ApplicationDoc>(applicationPrefix(account, region))).map((entry) => entry.value);
  }

  /** Every application of every account and region (the background sweep). */
  async listAll(): Promise<Versioned<ApplicationDoc>[]> {
    return this.meta.list<ApplicationDoc>(`${KEY_PREFIX}app/`);
  }

  /** Stores a new application and its version 1; false when the name is taken. */
  async create(doc: ApplicationDoc): Promise<boolean> {
    const revision = await this.meta.put(applicationKey(doc.account, doc.region, doc.name), doc, 0);
    if (revision === undefined) return false;
    await this.writeVersion(doc);
    return true;
  }

  /**
   * Changes an application by compare-and-set: `change` gets the current document and returns the
   * new one (or throws an AwsError, which is passed on); it may run more than once. A change that
   * bumps versionId is recorded in the versions history. Resolves to the stored document.
   */
  async update(account: string, region: string, name: string, change: (doc: ApplicationDoc) => ApplicationDoc, missing: () => Error): Promise<ApplicationDoc> {
    const key = applicationKey(account, region, name);
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const current = await this.meta.get<ApplicationDoc>(key);
      if (!current) throw missing();
      const next = change(structuredClone(current.value));
      if (next.versionId !== current.value.versionId) {
        // The version being left keeps the status it was last seen in.
        await this.writeVersion({ ...current.value });
        next.conditionalToken = newConditionalToken();
      }
      const revision = await this.meta.put(key, next, current.revision);
      if (revision === undefined) continue;
      if (next.versionId !== current.value.versionId || next.status !== current.value.status) await this.writeVersion(next);
      return next;
    }
    throw new ConcurrentUpdateError(`application ${name} kept changing under ${CAS_ATTEMPTS} attempts`);
  }

  /** Removes the application document (when its revision is still `revision`) and everything it owns. */
  async remove(entry: Versioned<ApplicationDoc>): Promise<boolean> {
    const doc = entry.value;
    if (!(await this.meta.delete(applicationKey(doc.account, doc.region, doc.name), entry.revision))) return false;
    for (const kind of ['version', 'op', 'snapshot', 'code'] as const) {
      for (const owned of await this.meta.list(ownedPrefix(kind, doc))) await this.meta.delete(owned.key, owned.revision);
    }
    return true;
  }

  private async writeVersion(doc: ApplicationDoc): Promise<void> {
    const key = versionKey(doc, doc.versionId);
    const value: VersionDoc = {
      versionId: doc.versionId,
      status: doc.status,
      createMillis: doc.versionCreateMillis,
      config: doc.config,
      versionUpdatedFrom: doc.versionUpdatedFrom,
      rolledBackFrom: doc.rolledBackFrom,
      rolledBackTo: doc.rolledBackTo,
    };
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const current = await this.meta.get<VersionDoc>(key);
      if ((await this.meta.put(key, value, current?.revision ?? 0)) !== undefined) return;
    }
  }

  async version(doc: ApplicationDoc, versionId: number): Promise<VersionDoc | undefined> {
    return (await this.meta.get<VersionDoc>(versionKey(doc, versionId)))?.value;
  }

  async versions(doc: ApplicationDoc): Promise<VersionDoc[]> {
    return (await this.meta.list<VersionDoc>(ownedPrefix('version', doc))).map((entry) => entry.value);
  }
}

const versionKey = (doc: ApplicationDoc, versionId: number) => `${ownedPrefix('version', doc)}${String(versionId).padStart(VERSION_KEY_DIGITS, '0')}`;
