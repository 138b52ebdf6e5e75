import type { Span } from './errors.js';
import type { SqlType } from './types.js';

/** Parsed Flink SQL, before name resolution. Every node keeps its source span for Calcite-style messages. */
export type Expr =
  | { kind: 'literal'; value: unknown; type: SqlType; span: Span }
  | { kind: 'ident'; parts: string[]; span: Span }
  | { kind: 'star'; qualifier?: string; span: Span }
  | { kind: 'call'; name: string; args: Expr[]; distinct: boolean; countStar: boolean; over?: OverSpec | string; span: Span }
  | { kind: 'binary'; op: string; left: Expr; right: Expr; span: Span }
  | { kind: 'unary'; op: '-' | '+' | 'NOT'; arg: Expr; span: Span }
  | { kind: 'case'; operand?: Expr; whens: { when: Expr; then: Expr }[]; otherwise?: Expr; span: Span }
  | { kind: 'cast'; arg: Expr; type: SqlType; safe: boolean; span: Span }
  | { kind: 'isNull'; arg: Expr; not: boolean; span: Span }
  | { kind: 'isBool'; arg: Expr; value: boolean; not: boolean; span: Span }
  | { kind: 'between'; arg: Expr; low: Expr; high: Expr; not: boolean; span: Span }
  | { kind: 'in'; arg: Expr; list: Expr[]; not: boolean; span: Span }
  | { kind: 'like'; arg: Expr; pattern: Expr; not: boolean; similar: boolean; span: Span }
  /** FLOOR(x TO unit), CEIL(x TO unit), EXTRACT(unit FROM x), TIMESTAMPADD/DIFF(unit, …). */
  | { kind: 'timeUnitCall'; name: string; unit: string; args: Expr[]; span: Span }
  | { kind: 'descriptor'; columns: { name: string; span: Span }[]; span: Span }
  | { kind: 'tableArg'; from: FromItem; partitionBy: Expr[]; span: Span }
  | { kind: 'named'; name: string; value: Expr; span: Span }
  | { kind: 'subscript'; arg: Expr; index: Expr; span: Span }
  | { kind: 'scalarQuery'; query: Query; span: Span };

export interface OverSpec {
  partitionBy: Expr[];
  orderBy: OrderItem[];
  frame?: { unit: 'ROWS' | 'RANGE'; preceding: Expr | 'UNBOUNDED'; span: Span };
  span: Span;
}

export interface OrderItem {
  expr: Expr;
  desc: boolean;
}

export interface SelectItem {
  expr: Expr;
  alias?: string;
  span: Span;
}

export type FromItem =
  | { kind: 'table'; name: string; alias?: string; span: Span }
  | { kind: 'subquery'; query: Query; alias?: string; span: Span }
  | { kind: 'tvf'; name: string; args: Expr[]; alias?: string; span: Span }
  | { kind: 'join'; joinType: 'INNER' | 'LEFT' | 'RIGHT' | 'FULL' | 'CROSS'; left: FromItem; right: FromItem; on?: Expr; span: Span };

export interface Select {
  kind: 'select';
  distinct: boolean;
  items: SelectItem[];
  from?: FromItem;
  where?: Expr;
  groupBy: Expr[];
  having?: Expr;
  windows: Record<string, OverSpec>;
  orderBy: OrderItem[];
  limit?: number;
  span: Span;
}

export type QueryBody =
  | Select
  | { kind: 'union'; all: boolean; left: QueryBody; right: QueryBody; span: Span }
  | { kind: 'values'; rows: Expr[][]; span: Span };

export interface Query {
  with: { name: string; query: Query; span: Span }[];
  body: QueryBody;
  span: Span;
}

export type ColumnDef =
  | { kind: 'physical'; name: string; type: SqlType; span: Span }
  | { kind: 'computed'; name: string; expr: Expr; span: Span }
  | { kind: 'metadata'; name: string; type: SqlType; key?: string; virtual: boolean; span: Span };

export type Statement =
  | {
      kind: 'createTable';
      name: string;
      ifNotExists: boolean;
      columns: ColumnDef[];
      watermark?: { column: string; expr: Expr; span: Span };
      primaryKey: string[];
      partitionedBy: string[];
      options: Record<string, string>;
      likeTable?: string;
      span: Span;
    }
  | { kind: 'createView'; name: string; ifNotExists: boolean; columns: string[]; query: Query; span: Span }
  | { kind: 'drop'; what: 'TABLE' | 'VIEW'; name: string; ifExists: boolean; span: Span }
  | { kind: 'set'; key?: string; value?: string; span: Span }
  | { kind: 'reset'; key?: string; span: Span }
  | { kind: 'insert'; table: string; tableSpan: Span; overwrite: boolean; columns: string[]; query: Query; span: Span }
  | { kind: 'statementSet'; inserts: Extract<Statement, { kind: 'insert' }>[]; span: Span }
  | { kind: 'query'; query: Query; span: Span }
  | { kind: 'use'; name: string; span: Span };

export type InsertStatement = Extract<Statement, { kind: 'insert' }>;
