import type { TableDocument } from './domain/data-catalog.js';
import { canonicalName } from './domain/data-catalog.js';

/** The model's TableInput, as validated. */
export interface TableInput {
  Name: string;
  Description?: string;
  Owner?: string;
  LastAccessTime?: Date;
  LastAnalyzedTime?: Date;
  Retention?: number;
  StorageDescriptor?: TableDocument['StorageDescriptor'];
  PartitionKeys?: TableDocument['PartitionKeys'];
  ViewOriginalText?: string;
  ViewExpandedText?: string;
  TableType?: string;
  Parameters?: Record<string, string>;
  TargetTable?: unknown;
}

/** The first VersionId of a table; each UpdateTable adds one (GetTableVersions lists "0", "1", …). */
export const FIRST_TABLE_VERSION = 0;

/**
 * The stored table for a TableInput: what CreateTable writes and UpdateTable replaces wholesale
 * (UpdateTable takes the complete definition, not a patch). Defaults AWS shows on GetTable:
 * Retention 0, PartitionKeys [], IsRegisteredWithLakeFormation false.
 */
export function tableFromInput(
  given: TableInput,
  at: { database: string; catalogId: string; version: number; createTime: number; updateTime: number },
): TableDocument {
  return {
    Name: canonicalName(given.Name),
    DatabaseName: at.database,
    Description: given.Description,
    Owner: given.Owner,
    CreateTime: at.createTime,
    UpdateTime: at.updateTime,
    LastAccessTime: given.LastAccessTime?.getTime(),
    LastAnalyzedTime: given.LastAnalyzedTime?.getTime(),
    Retention: given.Retention ?? 0,
    StorageDescriptor: given.StorageDescriptor,
    PartitionKeys: given.PartitionKeys ?? [],
    ViewOriginalText: given.ViewOriginalText,
    ViewExpandedText: given.ViewExpandedText,
    TableType: given.TableType,
    Parameters: given.Parameters,
    TargetTable: given.TargetTable,
    CatalogId: at.catalogId,
    VersionId: String(at.version),
    IsRegisteredWithLakeFormation: false,
  };
}
