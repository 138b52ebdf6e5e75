/**
 * Flink SQL logical types and how values of each are held in a row:
 * strings as string; TINYINT…BIGINT, FLOAT, DOUBLE and DECIMAL as number (DECIMAL rounded to its scale when
 * written out; BIGINT beyond 2^53 loses precision — a documented limit); BOOLEAN as boolean;
 * TIMESTAMP / TIMESTAMP_LTZ / DATE / TIME as epoch milliseconds (TIMESTAMP is read as UTC wall time);
 * BYTES as Uint8Array; ARRAY as array, MAP and ROW as plain objects; NULL as null.
 */
export type TypeName =
  | 'CHAR' | 'VARCHAR' | 'BOOLEAN' | 'BINARY' | 'VARBINARY'
  | 'TINYINT' | 'SMALLINT' | 'INT' | 'BIGINT' | 'FLOAT' | 'DOUBLE' | 'DECIMAL'
  | 'DATE' | 'TIME' | 'TIMESTAMP' | 'TIMESTAMP_LTZ'
  | 'INTERVAL_DAY_TIME' | 'INTERVAL_YEAR_MONTH'
  | 'ARRAY' | 'MAP' | 'ROW' | 'NULL';

export interface SqlType {
  name: TypeName;
  precision?: number;
  scale?: number;
  nullable: boolean;
  /** Time attribute marker: a rowtime (WATERMARK FOR) or proctime (PROCTIME()) column. */
  timeAttr?: 'rowtime' | 'proctime';
  element?: SqlType;
  key?: SqlType;
  fields?: { name: string; type: SqlType }[];
}

/** STRING is VARCHAR(2147483647) in Flink. */
export const MAX_VARCHAR_LENGTH = 2147483647;
export const DEFAULT_TIMESTAMP_PRECISION = 6;

export function t(name: TypeName, extra: Partial<SqlType> = {}): SqlType {
  return { name, nullable: true, ...extra };
}
export const STRING = t('VARCHAR', { precision: MAX_VARCHAR_LENGTH });
export const BOOLEAN = t('BOOLEAN');
export const INT = t('INT');
export const BIGINT = t('BIGINT');
export const DOUBLE = t('DOUBLE');
export const TIMESTAMP3 = t('TIMESTAMP', { precision: 3 });
export const NULL_TYPE = t('NULL');

export function isNumeric(ty: SqlType): boolean {
  return ['TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE', 'DECIMAL'].includes(ty.name);
}
export function isIntegral(ty: SqlType): boolean {
  return ['TINYINT', 'SMALLINT', 'INT', 'BIGINT'].includes(ty.name);
}
export function isString(ty: SqlType): boolean {
  return ty.name === 'CHAR' || ty.name === 'VARCHAR';
}
export function isTemporal(ty: SqlType): boolean {
  return ty.name === 'TIMESTAMP' || ty.name === 'TIMESTAMP_LTZ' || ty.name === 'DATE' || ty.name === 'TIME';
}
export function isTimestamp(ty: SqlType): boolean {
  return ty.name === 'TIMESTAMP' || ty.name === 'TIMESTAMP_LTZ';
}

const NUMERIC_RANK: Record<string, number> = { TINYINT: 1, SMALLINT: 2, INT: 3, BIGINT: 4, DECIMAL: 5, FLOAT: 6, DOUBLE: 7 };

/** The type two numeric operands widen to (Flink's arithmetic result type, without DECIMAL precision rules). */
export function widerNumeric(a: SqlType, b: SqlType): SqlType {
  if (a.name === 'NULL') return { ...b, nullable: true };
  if (b.name === 'NULL') return { ...a, nullable: true };
  const ra = NUMERIC_RANK[a.name] ?? 0;
  const rb = NUMERIC_RANK[b.name] ?? 0;
  const w = ra >= rb ? a : b;
  if (w.name === 'DECIMAL') {
    const scale = Math.max(a.scale ?? 0, b.scale ?? 0);
    return t('DECIMAL', { precision: 38, scale, nullable: a.nullable || b.nullable });
  }
  return { name: w.name, nullable: a.nullable || b.nullable };
}

/** Flink's printed form of a type (`VARCHAR(2147483647)` is shown as STRING, `TIMESTAMP(3) *ROWTIME*`). */
export function typeToString(ty: SqlType): string {
  let s: string;
  switch (ty.name) {
    case 'VARCHAR': s = ty.precision === MAX_VARCHAR_LENGTH || ty.precision === undefined ? 'STRING' : `VARCHAR(${ty.precision})`; break;
    case 'CHAR': s = `CHAR(${ty.precision ?? 1})`; break;
    case 'DECIMAL': s = `DECIMAL(${ty.precision ?? 10}, ${ty.scale ?? 0})`; break;
    case 'TIMESTAMP': s = `TIMESTAMP(${ty.precision ?? DEFAULT_TIMESTAMP_PRECISION})`; break;
    case 'TIMESTAMP_LTZ': s = `TIMESTAMP_LTZ(${ty.precision ?? DEFAULT_TIMESTAMP_PRECISION})`; break;
    case 'BINARY': s = `BINARY(${ty.precision ?? 1})`; break;
    case 'VARBINARY': s = ty.precision === MAX_VARCHAR_LENGTH || ty.precision === undefined ? 'BYTES' : `VARBINARY(${ty.precision})`; break;
    case 'ARRAY': s = `ARRAY<${typeToString(ty.element ?? NULL_TYPE)}>`; break;
    case 'MAP': s = `MAP<${typeToString(ty.key ?? STRING)}, ${typeToString(ty.element ?? STRING)}>`; break;
    case 'ROW': s = `ROW<${(ty.fields ?? []).map((f) => `\`${f.name}\` ${typeToString(f.type)}`).join(', ')}>`; break;
    case 'INTERVAL_DAY_TIME': s = 'INTERVAL SECOND(3)'; break;
    case 'INTERVAL_YEAR_MONTH': s = 'INTERVAL MONTH'; break;
    default: s = ty.name;
  }
  if (!ty.nullable) s += ' NOT NULL';
  if (ty.timeAttr === 'rowtime') s += ' *ROWTIME*';
  if (ty.timeAttr === 'proctime') s += ' *PROCTIME*';
  return s;
}

/** Calcite's family name for "No match found for function signature f(<NUMERIC>)". */
export function familyOf(ty: SqlType): string {
  if (isNumeric(ty)) return '<NUMERIC>';
  if (isString(ty)) return '<CHARACTER>';
  if (ty.name === 'BOOLEAN') return '<BOOLEAN>';
  if (ty.name === 'TIMESTAMP' || ty.name === 'TIMESTAMP_LTZ') return '<TIMESTAMP>';
  if (ty.name === 'DATE') return '<DATE>';
  if (ty.name === 'TIME') return '<TIME>';
  if (ty.name.startsWith('INTERVAL')) return '<INTERVAL>';
  if (ty.name === 'BINARY' || ty.name === 'VARBINARY') return '<BINARY>';
  if (ty.name === 'NULL') return '<NULL>';
  return `<${ty.name}>`;
}

/** Strip the time-attribute marker: a value computed from a time attribute is a plain timestamp. */
export function plain(ty: SqlType): SqlType {
  if (!ty.timeAttr) return ty;
  const { timeAttr: _ignored, ...rest } = ty;
  return rest;
}

/** May a value of `from` be written to a column of `to` without an explicit CAST (Flink's implicit sink cast)? */
export function assignable(from: SqlType, to: SqlType): boolean {
  if (from.name === 'NULL') return true;
  if (isNumeric(from) && isNumeric(to)) return true;
  if (isString(from) && isString(to)) return true;
  if (isTimestamp(from) && isTimestamp(to)) return true;
  if ((from.name === 'BINARY' || from.name === 'VARBINARY') && (to.name === 'BINARY' || to.name === 'VARBINARY')) return true;
  return from.name === to.name;
}
