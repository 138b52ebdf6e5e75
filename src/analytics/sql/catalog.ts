import type { Expr, Query, Statement } from './ast.js';
import { connectorFor, validateOptions, type ConnectorSpec } from './connectors.js';
import { SqlValidationError, TableError } from './errors.js';
import { ExprCompiler, type Field } from './expr.js';
import { isTimestamp, typeToString, type SqlType } from './types.js';

/** The job's in-memory catalog: `default_catalog.default_database`, as Flink names it in messages. */
export const DEFAULT_PATH = 'default_catalog.default_database';

export interface TableColumn {
  name: string;
  type: SqlType;
  kind: 'physical' | 'computed' | 'metadata';
  expr?: Expr;
  metadataKey?: string;
  virtual?: boolean;
}

export interface TableDef {
  name: string;
  columns: TableColumn[];
  watermark?: { column: string; expr: Expr };
  options: Record<string, string>;
  connector: ConnectorSpec;
  primaryKey: string[];
  partitionedBy: string[];
}

export interface ViewDef {
  name: string;
  columns: string[];
  query: Query;
}

/** Strip `default_catalog.default_database.` (or `default_database.`) from a table name. */
export function localName(name: string): string {
  const parts = name.split('.');
  if (parts.length === 3 && parts[0] === 'default_catalog' && parts[1] === 'default_database') return parts[2]!;
  if (parts.length === 2 && parts[0] === 'default_database') return parts[1]!;
  return name;
}

export class Catalog {
  readonly tables = new Map<string, TableDef>();
  readonly views = new Map<string, ViewDef>();

  constructor(private readonly now: () => number) {}

  createTable(st: Extract<Statement, { kind: 'createTable' }>): void {
    const name = localName(st.name);
    if (this.tables.has(name) || this.views.has(name)) {
      if (st.ifNotExists) return;
      throw new TableError(`Could not execute CreateTable in path \`default_catalog\`.\`default_database\`.\`${name}\``);
    }
    let options = st.options;
    let baseColumns: TableColumn[] = [];
    let baseWatermark: TableDef['watermark'];
    if (st.likeTable) {
      const base = this.tables.get(localName(st.likeTable));
      if (!base) throw new TableError(`Source table '${DEFAULT_PATH}.${localName(st.likeTable)}' of the LIKE clause not found in the catalog`);
      options = { ...base.options, ...st.options };
      baseColumns = base.columns;
      baseWatermark = base.watermark;
    }
    const connector = connectorFor(options['connector'], name);
    const columns: TableColumn[] = [...baseColumns];
    const seen = new Set(columns.map((c) => c.name));
    // Computed columns see physical and metadata columns (Flink forbids referring to other computed columns).
    const baseFields = (): Field[] => columns.filter((c) => c.kind !== 'computed').map((c) => ({ name: c.name, type: c.type }));
    for (const col of st.columns) {
      if (seen.has(col.name)) throw new SqlValidationError(`Duplicate column name: ${col.name}`, col.span);
      seen.add(col.name);
      if (col.kind === 'physical') columns.push({ name: col.name, type: col.type, kind: 'physical' });
      else if (col.kind === 'metadata') {
        const key = col.key ?? col.name;
        if (!(key in connector.metadata)) {
          const keys = Object.keys(connector.metadata);
          throw new TableError(`Invalid metadata key '${key}' in column '${col.name}' of table '${DEFAULT_PATH}.${name}'. The ${connector.source ? 'DynamicTableSource' : 'DynamicTableSink'} class for connector '${connector.name}' supports the following metadata keys for reading:\n${keys.join('\n')}`);
        }
        columns.push({ name: col.name, type: col.type, kind: 'metadata', metadataKey: key, virtual: col.virtual });
      }
    }
    for (const col of st.columns) {
      if (col.kind !== 'computed') continue;
      const compiled = new ExprCompiler(baseFields(), { now: this.now }).compile(col.expr);
      columns.splice(st.columns.indexOf(col) + baseColumns.length, 0, { name: col.name, type: compiled.type, kind: 'computed', expr: col.expr });
    }
    let watermark = baseWatermark;
    if (st.watermark) {
      const wmCol = columns.find((c) => c.name === st.watermark!.column);
      if (!wmCol) {
        throw new SqlValidationError(`The rowtime attribute field '${st.watermark.column}' is not defined in the table schema, at line ${st.watermark.span.line}, column ${st.watermark.span.column}`);
      }
      if (!isTimestamp(wmCol.type) || (wmCol.type.precision ?? 6) > 3) {
        throw new TableError(`Invalid data type of time field for watermark definition. The field must be of type TIMESTAMP(p) or TIMESTAMP_LTZ(p), the supported precision 'p' is from 0 to 3, but the time field type is ${typeToString(wmCol.type)}`);
      }
      const fields = columns.map((c) => ({ name: c.name, type: c.type }));
      const wmType = new ExprCompiler(fields, { now: this.now }).compile(st.watermark.expr).type;
      if (!isTimestamp(wmType)) {
        throw new TableError(`Invalid data type of expression for watermark definition. The field must be of type TIMESTAMP(p) or TIMESTAMP_LTZ(p), the supported precision 'p' is from 0 to 3, but the watermark expression type is ${typeToString(wmType)}`);
      }
      watermark = { column: wmCol.name, expr: st.watermark.expr };
    }
    if (watermark) {
      const c = columns.find((x) => x.name === watermark!.column)!;
      c.type = { ...c.type, timeAttr: 'rowtime' };
    }
    for (const c of columns) if (c.type.timeAttr === 'proctime' && c.kind !== 'computed') c.type = { ...c.type, timeAttr: undefined };
    this.tables.set(name, { name, columns, watermark, options, connector, primaryKey: st.primaryKey, partitionedBy: st.partitionedBy });
  }

  createView(st: Extract<Statement, { kind: 'createView' }>): void {
    const name = localName(st.name);
    if (this.tables.has(name) || this.views.has(name)) {
      if (st.ifNotExists) return;
      throw new TableError(`Could not execute CreateTable in path \`default_catalog\`.\`default_database\`.\`${name}\``);
    }
    this.views.set(name, { name, columns: st.columns, query: st.query });
  }

  drop(st: Extract<Statement, { kind: 'drop' }>): void {
    const name = localName(st.name);
    const map = st.what === 'TABLE' ? this.tables : this.views;
    if (!map.delete(name) && !st.ifExists) {
      throw new TableError(`${st.what === 'TABLE' ? 'Table' : 'View'} with identifier '${DEFAULT_PATH}.${name}' does not exist.`);
    }
  }

  /** Validate a table's connector options for its use (Flink validates when a query first reads or writes it). */
  checkUse(table: TableDef, asSource: boolean): void {
    if (asSource && !table.connector.source) {
      throw new TableError(`Connector '${table.connector.name}' can only be used as a sink. It cannot be used as a source.`);
    }
    if (!asSource && !table.connector.sink) {
      throw new TableError(`Connector '${table.connector.name}' can only be used as a source. It cannot be used as a sink.`);
    }
    validateOptions(table.connector, table.options, asSource);
  }
}
