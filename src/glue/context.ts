import type { RequestContext } from '../protocol/pipeline.js';
import type { CatalogScope, DataCatalog, DatabaseDocument, TableDocument } from './domain/data-catalog.js';
import { canonicalName } from './domain/data-catalog.js';

/** What Glue operations work with; its own module so that imports run one way (operations → domain). */
export interface GlueContext extends RequestContext {
  catalog: DataCatalog;
}

/** One file per operation under `operations/`, named as the API names it, default-exporting this. */
export type Operation = (input: any, context: GlueContext) => Promise<unknown>;

/** The catalog a request names: CatalogId defaults to the caller's account (model: "If none is provided, the Amazon Web Services account ID is used by default"). */
export function scopeOf(input: { CatalogId?: string }, context: GlueContext): CatalogScope {
  return { account: context.account, region: context.region, catalogId: input.CatalogId ?? context.account };
}

export { canonicalName };

const date = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));

/** A database document as the wire shows it (Dates for timestamps). */
export function databaseOutput(database: DatabaseDocument): Record<string, unknown> {
  return { ...database, CreateTime: date(database.CreateTime) };
}

export function tableOutput(table: TableDocument): Record<string, unknown> {
  const { partitionIndexes: _internal, ...described } = table;
  return {
    ...described,
    CreateTime: date(table.CreateTime),
    UpdateTime: date(table.UpdateTime),
    LastAccessTime: date(table.LastAccessTime),
    LastAnalyzedTime: date(table.LastAnalyzedTime),
  };
}
