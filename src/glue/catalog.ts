import type { Store } from '../store/store.js';
import { canonicalName, DataCatalog, type TableDocument } from './domain/data-catalog.js';

/** SchemaConfiguration.VersionId's default: the table's current version. */
export const LATEST_VERSION = 'LATEST';

/** A Glue table as delivery reads it (GetTable's Table, times in epoch ms). */
export type GlueTable = TableDocument;

/** What Firehose's record format conversion asks of the Data Catalog (FIREHOSE-PLAN: fh-glue). */
export interface GlueCatalog {
  /**
   * `catalogId` defaults to `account`, as GetTable's CatalogId does; `versionId` to the current
   * version ("LATEST"). Names are found in either case.
   */
  getTable(account: string, region: string, database: string, table: string, catalogId?: string, versionId?: string): Promise<GlueTable | undefined>;
}

/** The Data Catalog that the Glue API on the endpoint serves, read from the same store. */
export function storeGlueCatalog(store: Store): GlueCatalog {
  const catalog = new DataCatalog(store.meta);
  return {
    async getTable(account, region, database, table, catalogId, versionId) {
      const scope = { account, region, catalogId: catalogId ?? account };
      if (versionId !== undefined && versionId !== LATEST_VERSION) return catalog.getTableVersion(scope, canonicalName(database), canonicalName(table), versionId);
      return (await catalog.getTable(scope, canonicalName(database), canonicalName(table)))?.value;
    },
  };
}
