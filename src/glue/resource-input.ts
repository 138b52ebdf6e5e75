import type { DatabaseDocument, TableDocument } from './domain/data-catalog.js';
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
  at: { database: string; catalogId: string; version: number; createTime: number; updateTime: number; partitionIndexes?: TableDocument['partitionIndexes'] },
): TableDocument {
  return {
    partitionIndexes: at.partitionIndexes,
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

/** The model's DatabaseInput, as validated. */
export interface DatabaseInput {
  Name: string;
  Description?: string;
  LocationUri?: string;
  Parameters?: Record<string, string>;
  CreateTableDefaultPermissions?: unknown[];
  TargetDatabase?: unknown;
  FederatedDatabase?: unknown;
}

/**
 * What Glue fills in when a database is created without CreateTableDefaultPermissions: the
 * Lake Formation "IAM_ALLOWED_PRINCIPALS / ALL" default of accounts that never opted into Lake
 * Formation permissions (what GetDatabase shows in such accounts).
 */
export const DEFAULT_TABLE_PERMISSIONS = [{ Principal: { DataLakePrincipalIdentifier: 'IAM_ALLOWED_PRINCIPALS' }, Permissions: ['ALL'] }];

/** The stored database for a DatabaseInput (CreateDatabase, and UpdateDatabase which replaces it). */
export function databaseFromInput(given: DatabaseInput, catalogId: string, createTime: number): DatabaseDocument {
  return {
    Name: canonicalName(given.Name),
    Description: given.Description,
    LocationUri: given.LocationUri,
    Parameters: given.Parameters ?? {},
    CreateTime: createTime,
    CreateTableDefaultPermissions: given.CreateTableDefaultPermissions ?? DEFAULT_TABLE_PERMISSIONS,
    TargetDatabase: given.TargetDatabase,
    FederatedDatabase: given.FederatedDatabase,
    CatalogId: catalogId,
  };
}

