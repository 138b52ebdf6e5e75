import type { Store } from '../store/store.js';
import { canonicalName, DataCatalog, type TableDocument } from './domain/data-catalog.js';

/** A Glue table as delivery reads it (GetTable's Table, times in epoch ms). */
export type GlueTable = TableDocument;

/** What Firehose's record format conversion asks of the Data Catalog (FIREHOSE-PLAN: fh-glue). */
export interface GlueCatalog {
  /** `catalogId` defaults to `account`, as GetTable's CatalogId does. Names are found in either case. */
  getTable(account: string, region: string, database: string, table: string, catalogId?: string): Promise<GlueTable | undefined>;
}

/** The Data Catalog that the Glue API on the endpoint serves, read from the same store. */
export function storeGlueCatalog(store: Store): GlueCatalog {
  const catalog = new DataCatalog(store.meta);
  return {
    async getTable(account, region, database, table, catalogId) {
      const found = await catalog.getTable({ account, region, catalogId: catalogId ?? account }, canonicalName(database), canonicalName(table));
      return found?.value;
    },
  };
}
