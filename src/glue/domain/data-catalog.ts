import type { MetadataStore, Versioned } from '../../store/store.js';

/**
 * The Glue Data Catalog as Millrace keeps it: one metadata document per database and per table,
 * under `glue/…` keys, scoped by account, region and catalog id, so it lives in whichever store is
 * open (LMDB, memory, NATS) like every other piece of metadata.
 */

/** A database as GetDatabase shows it; times in epoch ms. */
export interface DatabaseDocument {
  Name: string;
  CatalogId: string;
  Description?: string;
  LocationUri?: string;
  Parameters?: Record<string, string>;
  CreateTableDefaultPermissions?: unknown[];
  TargetDatabase?: unknown;
  FederatedDatabase?: unknown;
  CreateTime: number;
}

export interface GlueColumn {
  Name: string;
  Type?: string;
  Comment?: string;
  Parameters?: Record<string, string>;
}

/** A table as GetTable shows it; times in epoch ms, VersionId a decimal string. */
export interface TableDocument {
  Name: string;
  DatabaseName: string;
  CatalogId: string;
  VersionId: string;
  CreateTime: number;
  UpdateTime: number;
  Description?: string;
  Owner?: string;
  LastAccessTime?: number;
  LastAnalyzedTime?: number;
  Retention: number;
  StorageDescriptor?: { Columns?: GlueColumn[]; Location?: string; InputFormat?: string; OutputFormat?: string; SerdeInfo?: Record<string, unknown> } & Record<string, unknown>;
  PartitionKeys: GlueColumn[];
  ViewOriginalText?: string;
  ViewExpandedText?: string;
  TableType?: string;
  Parameters?: Record<string, string>;
  TargetTable?: unknown;
  IsRegisteredWithLakeFormation: boolean;
  /** CreateTable's PartitionIndexes, as GetPartitionIndexes describes them; not part of GetTable's Table. */
  partitionIndexes?: PartitionIndexDescriptor[];
}

export interface PartitionIndexDescriptor {
  IndexName: string;
  Keys: Array<{ Name: string; Type: string }>;
  IndexStatus: 'ACTIVE';
}

export interface CatalogScope {
  account: string;
  region: string;
  catalogId: string;
}

/**
 * Glue keeps database and table names in lower case, as the Hive metastore does: `MyDb` is
 * created as `mydb` and found again by either spelling [Glue docs "Database"/"Table" names:
 * "lowercase"].
 */
export const canonicalName = (name: string): string => name.toLowerCase();

// Names may hold '/' (the model's NameString allows it): key parts are URI-encoded.
const part = (s: string) => encodeURIComponent(s);
const scopePrefix = (kind: 'db' | 'table' | 'version', scope: CatalogScope) => `glue/${kind}/${part(scope.account)}/${part(scope.region)}/${part(scope.catalogId)}/`;
export const databaseKey = (scope: CatalogScope, name: string) => scopePrefix('db', scope) + part(name);
export const tablesPrefix = (scope: CatalogScope, database: string) => `${scopePrefix('table', scope)}${part(database)}/`;
export const tableKey = (scope: CatalogScope, database: string, name: string) => tablesPrefix(scope, database) + part(name);
/** Earlier versions of a table (UpdateTable archives the one it replaces unless SkipArchive). */
export const tableVersionsPrefix = (scope: CatalogScope, database: string, name: string) => `${scopePrefix('version', scope)}${part(database)}/${part(name)}/`;
/** Versions are numbered from 0; zero-padded so that key order is version order. */
export const tableVersionKey = (scope: CatalogScope, database: string, name: string, version: string) =>
  tableVersionsPrefix(scope, database, name) + version.padStart(12, '0');
/** Tags of a database or table, by its ARN (kept apart so that Get* answers carry none). */
export const tagsKey = (account: string, arn: string) => `glue/tags/${part(account)}/${part(arn)}`;

/** The ARNs Glue gives catalog resources (GetTags/TagResource name them so). */
export const databaseArn = (scope: CatalogScope, name: string) => `arn:aws:glue:${scope.region}:${scope.catalogId}:database/${name}`;
export const tableArn = (scope: CatalogScope, database: string, name: string) => `arn:aws:glue:${scope.region}:${scope.catalogId}:table/${database}/${name}`;

export class DataCatalog {
  constructor(private readonly meta: MetadataStore) {}

  getDatabase(scope: CatalogScope, name: string): Promise<Versioned<DatabaseDocument> | undefined> {
    return this.meta.get<DatabaseDocument>(databaseKey(scope, name));
  }

  /** False when the database already exists. */
  async createDatabase(scope: CatalogScope, database: DatabaseDocument): Promise<boolean> {
    return (await this.meta.put(databaseKey(scope, database.Name), database, 0)) !== undefined;
  }

  /** Every database of the catalog, in name order. */
  async listDatabases(scope: CatalogScope): Promise<DatabaseDocument[]> {
    return (await this.meta.list<DatabaseDocument>(scopePrefix('db', scope))).map((entry) => entry.value);
  }

  /** Replaces the database if it is still at `revision`; false when another writer got there first. */
  async replaceDatabase(scope: CatalogScope, database: DatabaseDocument, revision: number): Promise<boolean> {
    return (await this.meta.put(databaseKey(scope, database.Name), database, revision)) !== undefined;
  }

  /** Deletes the database, every table in it and their tags; false when the database was not there. */
  async deleteDatabase(scope: CatalogScope, name: string): Promise<boolean> {
    const existing = await this.getDatabase(scope, name);
    if (!existing) return false;
    for (const table of await this.meta.list<TableDocument>(tablesPrefix(scope, name))) {
      await this.meta.delete(table.key, table.revision);
      await this.dropVersions(scope, name, table.value.Name);
      await this.dropTags(scope, tableArn(scope, name, table.value.Name));
    }
    await this.dropTags(scope, databaseArn(scope, name));
    return this.meta.delete(existing.key, existing.revision);
  }

  async getTags(scope: CatalogScope, arn: string): Promise<Versioned<Record<string, string>> | undefined> {
    return this.meta.get<Record<string, string>>(tagsKey(scope.account, arn));
  }

  /** Writes the tags if they are still at `revision` (0: none yet); false on a conflict. */
  async putTags(scope: CatalogScope, arn: string, tags: Record<string, string>, revision: number): Promise<boolean> {
    return (await this.meta.put(tagsKey(scope.account, arn), tags, revision)) !== undefined;
  }

  async dropTags(scope: CatalogScope, arn: string): Promise<void> {
    const tags = await this.getTags(scope, arn);
    if (tags) await this.meta.delete(tags.key, tags.revision);
  }

  getTable(scope: CatalogScope, database: string, name: string): Promise<Versioned<TableDocument> | undefined> {
    return this.meta.get<TableDocument>(tableKey(scope, database, name));
  }

  async listTables(scope: CatalogScope, database: string): Promise<TableDocument[]> {
    return (await this.meta.list<TableDocument>(tablesPrefix(scope, database))).map((entry) => entry.value);
  }

  /** False when the table already exists. */
  async createTable(scope: CatalogScope, table: TableDocument): Promise<boolean> {
    return (await this.meta.put(tableKey(scope, table.DatabaseName, table.Name), table, 0)) !== undefined;
  }

  /**
   * Replaces the table if it is still at `revision`; false when another writer got there first.
   * The replaced definition is archived first (as Glue keeps table versions) unless `archive` is false.
   */
  async replaceTable(scope: CatalogScope, table: TableDocument, revision: number, replaced?: TableDocument): Promise<boolean> {
    if (replaced) {
      const key = tableVersionKey(scope, replaced.DatabaseName, replaced.Name, replaced.VersionId);
      const existing = await this.meta.get(key);
      await this.meta.put(key, replaced, existing?.revision ?? 0);
    }
    return (await this.meta.put(tableKey(scope, table.DatabaseName, table.Name), table, revision)) !== undefined;
  }

  /** A table as it was at `versionId` (the current one included). */
  async getTableVersion(scope: CatalogScope, database: string, name: string, versionId: string): Promise<TableDocument | undefined> {
    const current = await this.getTable(scope, database, name);
    if (!current) return undefined;
    if (current.value.VersionId === versionId) return current.value;
    if (!/^\d{1,12}$/.test(versionId)) return undefined;
    return (await this.meta.get<TableDocument>(tableVersionKey(scope, database, name, String(Number(versionId)))))?.value;
  }

  private async dropVersions(scope: CatalogScope, database: string, name: string): Promise<void> {
    for (const version of await this.meta.list(tableVersionsPrefix(scope, database, name))) await this.meta.delete(version.key, version.revision);
  }

  async deleteTable(scope: CatalogScope, database: string, name: string, revision: number): Promise<boolean> {
    if (!(await this.meta.delete(tableKey(scope, database, name), revision))) return false;
    await this.dropVersions(scope, database, name);
    await this.dropTags(scope, tableArn(scope, database, name));
    return true;
  }
}
