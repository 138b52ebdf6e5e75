import type { Expr } from './ast.js';
import { RuntimeSqlError, SqlValidationError, UnsupportedSqlError, type Span } from './errors.js';
import { AGGREGATE_FUNCTIONS, javaRegex, SCALAR_FUNCTIONS } from './functions.js';
import { UNIT_MS } from './parser.js';
import {
  BIGINT, BOOLEAN, familyOf, isNumeric, isString, isTemporal, isTimestamp, MAX_VARCHAR_LENGTH, plain, STRING, t, widerNumeric, type SqlType,
} from './types.js';
import { castFn, compareValues, roundScale, type Row } from './values.js';

/** A column visible to an expression: its name, the table alias that qualifies it, its type. */
export interface Field {
  name: string;
  qualifier?: string;
  type: SqlType;
}

/** An expression compiled once per query: its result type and a closure evaluated per row. */
export interface Compiled {
  type: SqlType;
  fn: (row: Row) => unknown;
  /** The closure ignores the row and is deterministic (literals, and functions of literals). */
  constant?: boolean;
}

export interface CompileOptions {
  /** Processing time for NOW(), CURRENT_TIMESTAMP, PROCTIME(). */
  now: () => number;
  /** The planner's hook: aggregate calls, group keys and window properties resolve to columns of its output. */
  rewrite?: (e: Expr) => Compiled | undefined;
  /** Where aggregates are not allowed, the clause name for Calcite's message ("WHERE", "GROUP BY"). */
  clause?: string;
  /** Told each column index an expression reads (the planner learns whether window columns are needed). */
  onColumn?: (index: number) => void;
}

/** Calcite's spelling of a type in messages: INTEGER, VARCHAR(2147483647), DECIMAL(10, 2). */
export function calciteType(ty: SqlType): string {
  let s: string;
  switch (ty.name) {
    case 'INT': s = 'INTEGER'; break;
    case 'VARCHAR': s = `VARCHAR(${ty.precision ?? MAX_VARCHAR_LENGTH})`; break;
    case 'CHAR': s = `CHAR(${ty.precision ?? 1})`; break;
    case 'DECIMAL': s = `DECIMAL(${ty.precision ?? 10}, ${ty.scale ?? 0})`; break;
    case 'TIMESTAMP': s = `TIMESTAMP(${ty.precision ?? 6})`; break;
    case 'TIMESTAMP_LTZ': s = `TIMESTAMP_WITH_LOCAL_TIME_ZONE(${ty.precision ?? 6})`; break;
    case 'INTERVAL_DAY_TIME': s = 'INTERVAL SECOND'; break;
    case 'INTERVAL_YEAR_MONTH': s = 'INTERVAL MONTH'; break;
    default: s = ty.name;
  }
  return ty.nullable ? s : `${s} NOT NULL`;
}

/** The SQL text Calcite shows a column under in "Column 'x' not found". */
export function exprText(e: Expr): string {
  switch (e.kind) {
    case 'ident': return e.parts.join('.');
    case 'call': return `${e.name}(${e.countStar ? '*' : e.args.map(exprText).join(', ')})`;
    case 'literal': return typeof e.value === 'string' ? `'${e.value}'` : String(e.value);
    case 'binary': return `${exprText(e.left)} ${e.op} ${exprText(e.right)}`;
    default: return e.kind;
  }
}

export class ExprCompiler {
  constructor(
    private readonly fields: Field[],
    private readonly options: CompileOptions,
  ) {}

  compile(e: Expr): Compiled {
    const hooked = this.options.rewrite?.(e);
    if (hooked) return hooked;
    switch (e.kind) {
      case 'literal': {
        const v = e.value;
        return { type: e.type, fn: () => v, constant: true };
      }
      case 'ident': return this.column(e.parts, e.span);
      case 'star': throw new SqlValidationError('Unknown identifier \'*\'', e.span);
      case 'unary': return this.unary(e.op, this.compile(e.arg), e.span);
      case 'binary': return this.binary(e.op, e.left, e.right, e.span);
      case 'case': return this.caseWhen(e);
      case 'cast': {
        const arg = this.compile(e.arg);
        const to = { ...e.type, nullable: e.safe || arg.type.nullable || e.type.nullable };
        const conv = castFn(arg.type, e.type, e.safe);
        const f = arg.fn;
        return fold({ type: to, fn: (r) => conv(f(r)), constant: arg.constant });
      }
      case 'isNull': {
        const f = this.compile(e.arg).fn;
        return e.not ? { type: t('BOOLEAN', { nullable: false }), fn: (r) => f(r) !== null } : { type: t('BOOLEAN', { nullable: false }), fn: (r) => f(r) === null };
      }
      case 'isBool': {
        const f = this.compile(e.arg).fn;
        const want = e.value;
        return e.not ? { type: t('BOOLEAN', { nullable: false }), fn: (r) => f(r) !== want } : { type: t('BOOLEAN', { nullable: false }), fn: (r) => f(r) === want };
      }
      case 'between': {
        const a = this.compile(e.arg);
        const lo = this.compile(e.low);
        const hi = this.compile(e.high);
        this.checkComparable('BETWEEN ASYMMETRIC', a.type, lo.type, e.span);
        const [fa, fl, fh] = [a.fn, lo.fn, hi.fn];
        const not = e.not;
        return {
          type: BOOLEAN,
          fn: (r) => {
            const v = fa(r), l = fl(r), h = fh(r);
            if (v === null || l === null || h === null) return null;
            const inside = compareValues(v, l) >= 0 && compareValues(v, h) <= 0;
            return not ? !inside : inside;
          },
        };
      }
      case 'in': {
        const a = this.compile(e.arg);
        const list = e.list.map((x) => this.compile(x));
        const fa = a.fn;
        const not = e.not;
        if (list.every((x) => x.constant)) {
          const set = new Set(list.map((x) => x.fn([])));
          const hasNull = set.has(null);
          return { type: BOOLEAN, fn: (r) => { const v = fa(r); if (v === null) return null; const hit = set.has(v); return hit ? !not : hasNull ? null : not; } };
        }
        const fs = list.map((x) => x.fn);
        return { type: BOOLEAN, fn: (r) => { const v = fa(r); if (v === null) return null; const hit = fs.some((f) => f(r) === v); return hit !== not; } };
      }
      case 'like': {
        const a = this.compile(e.arg);
        const p = this.compile(e.pattern);
        if (!isString(a.type) && a.type.name !== 'NULL') throw this.cannotApply(e.similar ? 'SIMILAR TO' : 'LIKE', [a.type, p.type], e.span, `'<STRING> ${e.similar ? 'SIMILAR TO' : 'LIKE'} <STRING>'`);
        const toRe = (pat: string): RegExp => (e.similar ? similarRegex(pat) : likeRegex(pat));
        const fa = a.fn;
        const not = e.not;
        if (p.constant) {
          const pv = p.fn([]);
          if (pv === null) return { type: BOOLEAN, fn: () => null, constant: true };
          const re = toRe(pv as string);
          return { type: BOOLEAN, fn: (r) => { const v = fa(r); return v === null ? null : re.test(v as string) !== not; } };
        }
        const fp = p.fn;
        return { type: BOOLEAN, fn: (r) => { const v = fa(r), pv = fp(r); return v === null || pv === null ? null : toRe(pv as string).test(v as string) !== not; } };
      }
      case 'timeUnitCall': return this.timeUnitCall(e.name, e.unit, e.args, e.span);
      case 'call': return this.call(e);
      case 'subscript': {
        const a = this.compile(e.arg);
        const i = this.compile(e.index);
        const fa = a.fn, fi = i.fn;
        const elem = a.type.name === 'ARRAY' ? a.type.element! : a.type.name === 'MAP' ? a.type.element! : a.type.name === 'ROW' ? (a.type.fields ?? []).find((f) => f.name === i.fn([]))?.type ?? STRING : STRING;
        const isArray = a.type.name === 'ARRAY';
        return { type: { ...elem, nullable: true }, fn: (r) => { const c = fa(r) as any, k = fi(r) as any; if (c === null || k === null || c === undefined) return null; const v = isArray ? c[k - 1] : c[k]; return v === undefined ? null : v; } };
      }
      case 'descriptor': case 'tableArg': case 'named':
        throw new SqlValidationError(`Unsupported use of ${e.kind === 'descriptor' ? 'DESCRIPTOR' : e.kind === 'tableArg' ? 'TABLE' : 'named argument'} outside a window function`, e.span);
      case 'scalarQuery':
        throw new UnsupportedSqlError('scalar subqueries');
    }
  }

  column(parts: string[], sp: Span): Compiled {
    let matches: number[] = [];
    let rest: string[] = [];
    // t.col, col, col.nested, t.col.nested
    if (parts.length >= 2) {
      matches = this.find(parts[1]!, parts[0]);
      rest = parts.slice(2);
      if (matches.length === 0) {
        const byName = this.find(parts[0]!);
        if (byName.length > 0) { matches = byName; rest = parts.slice(1); }
        else if (!this.fields.some((f) => f.qualifier === parts[0])) throw new SqlValidationError(`Table '${parts[0]}' not found`, sp);
        else throw new SqlValidationError(`Column '${parts[1]}' not found in table '${parts[0]}'`, sp);
      }
    } else {
      matches = this.find(parts[0]!);
      if (matches.length === 0) throw new SqlValidationError(`Column '${parts[0]}' not found in any table`, sp);
    }
    if (matches.length > 1) throw new SqlValidationError(`Column '${parts[parts.length >= 2 && rest.length === parts.length - 2 ? 1 : 0]}' is ambiguous`, sp);
    const idx = matches[0]!;
    this.options.onColumn?.(idx);
    let type = this.fields[idx]!.type;
    let fn: (r: Row) => unknown = (r) => r[idx];
    for (const name of rest) {
      const f = (type.fields ?? []).find((x) => x.name === name);
      if (!f && type.name !== 'MAP') throw new SqlValidationError(`Unknown field '${name}'`, sp);
      const prev = fn;
      fn = (r) => { const o = prev(r) as Record<string, unknown> | null; return o === null || o === undefined ? null : o[name] ?? null; };
      type = f ? { ...f.type, nullable: true } : STRING;
    }
    return { type, fn };
  }

  private find(name: string, qualifier?: string): number[] {
    const out: number[] = [];
    this.fields.forEach((f, i) => {
      if (f.name === name && (qualifier === undefined || f.qualifier === qualifier)) out.push(i);
    });
    return out;
  }

  private cannotApply(op: string, types: SqlType[], sp: Span, supported: string): SqlValidationError {
    const shown = types.length === 1 ? `'${op} <${calciteType(types[0]!)}>'` : `'<${calciteType(types[0]!)}> ${op} <${calciteType(types[1]!)}>'`;
    return new SqlValidationError(`Cannot apply '${op}' to arguments of type ${shown}. Supported form(s): ${supported}`, sp);
  }

  private checkComparable(op: string, a: SqlType, b: SqlType, sp: Span): void {
    if (a.name === 'NULL' || b.name === 'NULL') return;
    const ok = (isNumeric(a) && isNumeric(b)) || (isString(a) && isString(b)) || (isTemporal(a) && isTemporal(b)) || a.name === b.name
      // Flink coerces string literals against numbers and times in comparisons
      || (isString(a) && (isNumeric(b) || isTemporal(b))) || (isString(b) && (isNumeric(a) || isTemporal(a)));
    if (!ok) throw this.cannotApply(op, [a, b], sp, `'<COMPARABLE_TYPE> ${op} <COMPARABLE_TYPE>'`);
  }

  private unary(op: string, a: Compiled, sp: Span): Compiled {
    const f = a.fn;
    if (op === 'NOT') {
      if (a.type.name !== 'BOOLEAN' && a.type.name !== 'NULL') throw this.cannotApply('NOT', [a.type], sp, "'NOT <BOOLEAN>'");
      return fold({ type: a.type, fn: (r) => { const v = f(r); return v === null ? null : !v; }, constant: a.constant });
    }
    if (!isNumeric(a.type) && !a.type.name.startsWith('INTERVAL')) throw this.cannotApply(op, [a.type], sp, `'${op}<NUMERIC>'`);
    if (op === '+') return a;
    return fold({ type: a.type, fn: (r) => { const v = f(r) as number | null; return v === null ? null : -v; }, constant: a.constant });
  }

  private binary(op: string, le: Expr, re: Expr, sp: Span): Compiled {
    const l = this.compile(le);
    const r = this.compile(re);
    const fl = l.fn, fr = r.fn;
    const constant = l.constant && r.constant;
    const nullable = l.type.nullable || r.type.nullable;
    switch (op) {
      case 'AND':
      case 'OR': {
        for (const x of [l, r]) if (x.type.name !== 'BOOLEAN' && x.type.name !== 'NULL') throw this.cannotApply(op, [l.type, r.type], sp, `'<BOOLEAN> ${op} <BOOLEAN>'`);
        const type = t('BOOLEAN', { nullable });
        if (op === 'AND') return fold({ type, constant, fn: (row) => { const a = fl(row); if (a === false) return false; const b = fr(row); if (b === false) return false; return a === null || b === null ? null : true; } });
        return fold({ type, constant, fn: (row) => { const a = fl(row); if (a === true) return true; const b = fr(row); if (b === true) return true; return a === null || b === null ? null : false; } });
      }
      case '=': case '<>': case '<': case '>': case '<=': case '>=': case 'IS DISTINCT FROM': case 'IS NOT DISTINCT FROM': {
        this.checkComparable(op, l.type, r.type, sp);
        // a string literal compared with a number or time is converted once (Flink's implicit coercion)
        let gl = fl, gr = fr;
        if (isString(l.type) && !isString(r.type) && r.type.name !== 'NULL') gl = coerceTo(fl, l.type, r.type);
        if (isString(r.type) && !isString(l.type) && l.type.name !== 'NULL') gr = coerceTo(fr, r.type, l.type);
        const type = t('BOOLEAN', { nullable: op.startsWith('IS') ? false : nullable });
        const cmp = compareOp(op);
        if (op === 'IS DISTINCT FROM') return { type, fn: (row) => { const a = gl(row), b = gr(row); return a === null || b === null ? a !== b : compareValues(a, b) !== 0; } };
        if (op === 'IS NOT DISTINCT FROM') return { type, fn: (row) => { const a = gl(row), b = gr(row); return a === null || b === null ? a === b : compareValues(a, b) === 0; } };
        if (isNumeric(l.type) && isNumeric(r.type) || isTemporal(l.type) && isTemporal(r.type)) {
          return fold({ type, constant, fn: (row) => { const a = gl(row) as number | null; if (a === null) return null; const b = gr(row) as number | null; if (b === null) return null; return cmp(a < b ? -1 : a > b ? 1 : 0); } });
        }
        return fold({ type, constant, fn: (row) => { const a = gl(row); if (a === null) return null; const b = gr(row); if (b === null) return null; return cmp(compareValues(a, b)); } });
      }
      case '||': {
        if (!(isString(l.type) || l.type.name === 'NULL') || !(isString(r.type) || r.type.name === 'NULL')) throw this.cannotApply('||', [l.type, r.type], sp, "'<STRING> || <STRING>'");
        return fold({ type: t('VARCHAR', { precision: MAX_VARCHAR_LENGTH, nullable }), constant, fn: (row) => { const a = fl(row); if (a === null) return null; const b = fr(row); return b === null ? null : (a as string) + (b as string); } });
      }
      case '+': case '-': {
        // datetime ± interval
        if (isTemporal(l.type) && r.type.name.startsWith('INTERVAL')) return this.timePlus(l, r, op === '-' ? -1 : 1, constant);
        if (op === '+' && isTemporal(r.type) && l.type.name.startsWith('INTERVAL')) return this.timePlus(r, l, 1, constant);
        if (l.type.name.startsWith('INTERVAL') && r.type.name === l.type.name) {
          const s = op === '-' ? -1 : 1;
          return fold({ type: l.type, constant, fn: (row) => { const a = fl(row) as number | null, b = fr(row) as number | null; return a === null || b === null ? null : a + s * b; } });
        }
        if (isTimestamp(l.type) && isTimestamp(r.type) && op === '-') {
          return { type: t('INTERVAL_DAY_TIME', { nullable }), fn: (row) => { const a = fl(row) as number | null, b = fr(row) as number | null; return a === null || b === null ? null : a - b; } };
        }
        return this.arith(op, l, r, sp);
      }
      case '*': case '/': case '%':
        if (op === '*' && l.type.name.startsWith('INTERVAL') && isNumeric(r.type)) return fold({ type: l.type, constant, fn: (row) => { const a = fl(row) as number | null, b = fr(row) as number | null; return a === null || b === null ? null : a * b; } });
        return this.arith(op, l, r, sp);
    }
    throw new UnsupportedSqlError(`operator ${op}`);
  }

  private timePlus(ts: Compiled, iv: Compiled, sign: number, constant: boolean | undefined): Compiled {
    const ft = ts.fn, fi = iv.fn;
    const type = plain({ ...ts.type, nullable: ts.type.nullable || iv.type.nullable });
    if (iv.type.name === 'INTERVAL_YEAR_MONTH') {
      return fold({ type, constant, fn: (row) => { const a = ft(row) as number | null, m = fi(row) as number | null; if (a === null || m === null) return null; const d = new Date(a); d.setUTCMonth(d.getUTCMonth() + sign * m); return d.getTime(); } });
    }
    return fold({ type, constant, fn: (row) => { const a = ft(row) as number | null; if (a === null) return null; const b = fi(row) as number | null; return b === null ? null : a + sign * b; } });
  }

  private arith(op: string, l: Compiled, r: Compiled, sp: Span): Compiled {
    if (!(isNumeric(l.type) || l.type.name === 'NULL') || !(isNumeric(r.type) || r.type.name === 'NULL')) {
      throw this.cannotApply(op, [l.type, r.type], sp, `'<NUMERIC> ${op} <NUMERIC>'\n'<DATETIME_INTERVAL> ${op} <DATETIME_INTERVAL>'\n'<DATETIME> ${op} <DATETIME_INTERVAL>'`);
    }
    const fl = l.fn, fr = r.fn;
    const constant = l.constant && r.constant;
    let type = widerNumeric(l.type, r.type);
    const integral = ['TINYINT', 'SMALLINT', 'INT', 'BIGINT'].includes(type.name);
    if (type.name === 'DECIMAL' && op === '*') type = { ...type, scale: (l.type.scale ?? 0) + (r.type.scale ?? 0) };
    if (type.name === 'DECIMAL' && op === '/') type = { ...type, scale: Math.max(6, (l.type.scale ?? 0) + 1) };
    const scale = type.name === 'DECIMAL' ? type.scale ?? 0 : undefined;
    let f: (a: number, b: number) => number | null;
    switch (op) {
      case '+': f = (a, b) => a + b; break;
      case '-': f = (a, b) => a - b; break;
      case '*': f = (a, b) => a * b; break;
      case '/': f = integral ? (a, b) => (b === 0 ? divByZero() : Math.trunc(a / b)) : (a, b) => (b === 0 && scale !== undefined ? divByZero() : a / b); break;
      default: f = (a, b) => (b === 0 ? divByZero() : a % b);
    }
    const g = scale === undefined ? f : (a: number, b: number) => { const v = f(a, b); return v === null ? null : roundScale(v, scale); };
    return fold({ type, constant, fn: (row) => { const a = fl(row) as number | null; if (a === null) return null; const b = fr(row) as number | null; return b === null ? null : g(a, b); } });
  }

  private caseWhen(e: Extract<Expr, { kind: 'case' }>): Compiled {
    const operand = e.operand ? this.compile(e.operand) : undefined;
    const whens = e.whens.map((w) => ({ when: this.compile(w.when), then: this.compile(w.then) }));
    const otherwise = e.otherwise ? this.compile(e.otherwise) : undefined;
    const results = [...whens.map((w) => w.then.type), ...(otherwise ? [otherwise.type] : [])];
    const nonNull = results.filter((x) => x.name !== 'NULL');
    let type: SqlType = nonNull[0] ?? t('NULL');
    if (nonNull.length > 0 && nonNull.every(isNumeric)) type = nonNull.reduce(widerNumeric);
    else if (nonNull.length > 0 && nonNull.every(isString)) {
      const allChar = nonNull.every((x) => x.name === 'CHAR');
      const width = Math.max(...nonNull.map((x) => x.precision ?? 1));
      // Flink pads CHAR results of different lengths to the longest (CHAR(n)); mixed → VARCHAR
      type = allChar ? t('CHAR', { precision: width }) : t('VARCHAR', { precision: nonNull.some((x) => x.precision === MAX_VARCHAR_LENGTH) ? MAX_VARCHAR_LENGTH : width });
    }
    type = { ...plain(type), nullable: !otherwise || results.some((x) => x.nullable) };
    const pad = type.name === 'CHAR' ? type.precision ?? 1 : 0;
    const wrap = (f: (r: Row) => unknown): ((r: Row) => unknown) => (pad > 0 ? (r) => { const v = f(r); return v === null ? null : (v as string).padEnd(pad); } : f);
    const conds = whens.map((w) => w.when.fn);
    const thens = whens.map((w) => wrap(w.then.fn));
    const other = otherwise ? wrap(otherwise.fn) : () => null;
    const n = conds.length;
    if (operand) {
      const fo = operand.fn;
      return { type, fn: (r) => { const v = fo(r); for (let i = 0; i < n; i++) if (v !== null && conds[i]!(r) === v) return thens[i]!(r); return other(r); } };
    }
    return { type, fn: (r) => { for (let i = 0; i < n; i++) if (conds[i]!(r) === true) return thens[i]!(r); return other(r); } };
  }

  private timeUnitCall(name: string, unit: string, argExprs: Expr[], sp: Span): Compiled {
    const args = argExprs.map((a) => this.compile(a));
    const a0 = args[0]!;
    const f0 = a0.fn;
    switch (name) {
      case 'FLOOR': case 'CEIL': {
        if (!isTemporal(a0.type)) throw this.cannotApply(name, [a0.type], sp, `'${name}(<DATETIME> TO <TIME_UNIT>)'`);
        const floor = floorTo(unit);
        const ceil = name === 'CEIL';
        return fold({ type: plain(a0.type), constant: a0.constant, fn: (r) => { const v = f0(r) as number | null; if (v === null) return null; const fl = floor(v); return ceil && fl !== v ? floor(fl + unitSpan(unit, fl)) : fl; } });
      }
      case 'EXTRACT': {
        const get = extractor(unit);
        return fold({ type: { ...BIGINT, nullable: a0.type.nullable }, constant: a0.constant, fn: (r) => { const v = f0(r) as number | null; return v === null ? null : get(v); } });
      }
      case 'TIMESTAMPADD': {
        const ft = args[1]!.fn;
        return { type: plain(args[1]!.type), fn: (r) => { const n = f0(r) as number | null, ts = ft(r) as number | null; if (n === null || ts === null) return null; if (unit === 'MONTH' || unit === 'YEAR' || unit === 'QUARTER') { const d = new Date(ts); d.setUTCMonth(d.getUTCMonth() + n * (unit === 'YEAR' ? 12 : unit === 'QUARTER' ? 3 : 1)); return d.getTime(); } return ts + n * (UNIT_MS[unit] ?? 0); } };
      }
      case 'TIMESTAMPDIFF': {
        const fb = args[1]!.fn;
        return { type: t('INT'), fn: (r) => { const a = f0(r) as number | null, b = fb(r) as number | null; if (a === null || b === null) return null; if (unit === 'MONTH' || unit === 'YEAR' || unit === 'QUARTER') { const da = new Date(a), db = new Date(b); let m = (db.getUTCFullYear() - da.getUTCFullYear()) * 12 + db.getUTCMonth() - da.getUTCMonth(); if (m > 0 && db.getTime() - Date.UTC(db.getUTCFullYear(), db.getUTCMonth()) < a - Date.UTC(da.getUTCFullYear(), da.getUTCMonth())) m--; return Math.trunc(m / (unit === 'YEAR' ? 12 : unit === 'QUARTER' ? 3 : 1)); } return Math.trunc((b - a) / (UNIT_MS[unit] ?? 1)); } };
      }
    }
    throw new UnsupportedSqlError(name);
  }

  private call(e: Extract<Expr, { kind: 'call' }>): Compiled {
    if (e.over !== undefined) throw new SqlValidationError(`OVER clause is not allowed here`, e.span);
    if (AGGREGATE_FUNCTIONS.has(e.name)) {
      throw new SqlValidationError(this.options.clause ? `Aggregate expression is illegal in ${this.options.clause} clause` : `Aggregate expression '${e.name}' is not allowed here`, e.span);
    }
    if (e.name === 'PROCTIME') {
      const now = this.options.now;
      return { type: t('TIMESTAMP_LTZ', { precision: 3, nullable: false, timeAttr: 'proctime' }), fn: () => now() };
    }
    if (e.name === 'ROW') {
      const parts = e.args.map((a) => this.compile(a));
      const fs = parts.map((p) => p.fn);
      return { type: t('ROW', { fields: parts.map((p, i) => ({ name: `EXPR$${i}`, type: p.type })) }), fn: (r) => Object.fromEntries(fs.map((f, i) => [`EXPR$${i}`, f(r)])) };
    }
    if (e.name === 'ARRAY') {
      const parts = e.args.map((a) => this.compile(a));
      const fs = parts.map((p) => p.fn);
      return { type: t('ARRAY', { element: parts[0]?.type ?? STRING }), fn: (r) => fs.map((f) => f(r)) };
    }
    if (e.name === 'CARDINALITY') {
      const a = this.compile(e.args[0]!);
      const f = a.fn;
      return { type: t('INT'), fn: (r) => { const v = f(r) as unknown[] | Record<string, unknown> | null; return v === null ? null : Array.isArray(v) ? v.length : Object.keys(v).length; } };
    }
    const def = SCALAR_FUNCTIONS[e.name];
    const args = e.args.map((a) => this.compile(a));
    if (e.name === 'JSON_VALUE' && args.length === 3) {
      // RETURNING type became a TRY_CAST placeholder in the parser
      const target = (e.args[2] as Extract<Expr, { kind: 'cast' }>).type;
      const base = this.compile({ ...e, args: e.args.slice(0, 2) });
      const conv = castFn(STRING, target, true);
      const f = base.fn;
      return { type: { ...target, nullable: true }, fn: (r) => conv(f(r)) };
    }
    const argTypes = args.map((a) => a.type);
    const returns = def && args.length >= def.minArgs && args.length <= def.maxArgs ? def.returns(argTypes) : undefined;
    if (!def || !returns) {
      const shownName = e.name.endsWith('_LITERAL') ? e.name.slice(0, -8) : e.name;
      throw new SqlValidationError(`No match found for function signature ${shownName}(${argTypes.map(familyOf).join(', ')})`, e.span);
    }
    const impl = def.impl;
    const self = { now: this.options.now };
    const nullable = def.nullAware ? returns.nullable : true;
    const type = { ...plain(returns), nullable };
    const fs = args.map((a) => a.fn);
    const constant = !def.volatile && args.every((a) => a.constant);
    const nullAware = def.nullAware === true;
    let fn: (r: Row) => unknown;
    const out = (v: unknown): unknown => (v === undefined || (typeof v === 'number' && Number.isNaN(v)) ? null : v);
    if (fs.length === 0) fn = () => out(impl.call(self));
    else if (fs.length === 1) {
      const f0 = fs[0]!;
      fn = nullAware ? (r) => out(impl.call(self, f0(r))) : (r) => { const a = f0(r); return a === null ? null : out(impl.call(self, a)); };
    } else if (fs.length === 2) {
      const f0 = fs[0]!, f1 = fs[1]!;
      fn = nullAware ? (r) => out(impl.call(self, f0(r), f1(r))) : (r) => { const a = f0(r); if (a === null) return null; const b = f1(r); return b === null ? null : out(impl.call(self, a, b)); };
    } else {
      fn = (r) => {
        const vals = fs.map((f) => f(r));
        if (!nullAware && vals.includes(null)) return null;
        return out(impl.apply(self, vals));
      };
    }
    return fold({ type, fn, constant });
  }
}

/** Evaluate a constant expression once at compile time. */
function fold(c: Compiled): Compiled {
  if (!c.constant) return c;
  try {
    const v = c.fn([]);
    return { type: c.type, fn: () => v, constant: true };
  } catch {
    return c; // a constant that fails (1/0) fails per row, as Flink's codegen does
  }
}

function divByZero(): never {
  throw new RuntimeSqlError('/ by zero', 'java.lang.ArithmeticException');
}

function coerceTo(f: (r: Row) => unknown, from: SqlType, to: SqlType): (r: Row) => unknown {
  const conv = castFn(from, isNumeric(to) ? t('DOUBLE') : to, true);
  return (r) => conv(f(r));
}

function compareOp(op: string): (c: number) => boolean {
  switch (op) {
    case '=': return (c) => c === 0;
    case '<>': return (c) => c !== 0;
    case '<': return (c) => c < 0;
    case '>': return (c) => c > 0;
    case '<=': return (c) => c <= 0;
    default: return (c) => c >= 0;
  }
}

export function likeRegex(pattern: string): RegExp {
  let src = '';
  for (const ch of pattern) {
    if (ch === '%') src += '.*';
    else if (ch === '_') src += '.';
    else src += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return javaRegex(`^${src}$`, 's');
}

/** SQL SIMILAR TO: % and _ are wildcards, | * + ? ( ) [ ] { } are regex operators, everything else is literal. */
export function similarRegex(pattern: string): RegExp {
  let src = '';
  for (const ch of pattern) {
    if (ch === '%') src += '.*';
    else if (ch === '_') src += '.';
    else if ('|*+?()[]{}'.includes(ch)) src += ch;
    else src += ch.replace(/[.^$\\/-]/g, '\\$&');
  }
  return javaRegex(`^(?:${src})$`, 's');
}

function floorTo(unit: string): (ms: number) => number {
  switch (unit) {
    case 'MILLISECOND': case 'SECOND': case 'MINUTE': case 'HOUR': case 'DAY': {
      const u = UNIT_MS[unit]!;
      return (ms) => Math.floor(ms / u) * u;
    }
    case 'WEEK': return (ms) => { const d = Math.floor(ms / 86_400_000); const dow = (d + 4) % 7; return (d - ((dow + 7) % 7)) * 86_400_000; };
    case 'MONTH': return (ms) => { const d = new Date(ms); return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1); };
    case 'QUARTER': return (ms) => { const d = new Date(ms); return Date.UTC(d.getUTCFullYear(), Math.floor(d.getUTCMonth() / 3) * 3, 1); };
    case 'YEAR': return (ms) => Date.UTC(new Date(ms).getUTCFullYear(), 0, 1);
  }
  throw new UnsupportedSqlError(`FLOOR/CEIL to ${unit}`);
}

function unitSpan(unit: string, from: number): number {
  if (UNIT_MS[unit]) return UNIT_MS[unit]!;
  const d = new Date(from);
  const months = unit === 'MONTH' ? 1 : unit === 'QUARTER' ? 3 : 12;
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1) - from;
}

function extractor(unit: string): (ms: number) => number {
  switch (unit) {
    case 'YEAR': return (ms) => new Date(ms).getUTCFullYear();
    case 'QUARTER': return (ms) => Math.floor(new Date(ms).getUTCMonth() / 3) + 1;
    case 'MONTH': return (ms) => new Date(ms).getUTCMonth() + 1;
    case 'WEEK': return (ms) => { const d = new Date(ms); const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())); const dayNr = (target.getUTCDay() + 6) % 7; target.setUTCDate(target.getUTCDate() - dayNr + 3); const firstThursday = target.getTime(); target.setUTCMonth(0, 1); if (target.getUTCDay() !== 4) target.setUTCMonth(0, 1 + ((4 - target.getUTCDay() + 7) % 7)); return 1 + Math.ceil((firstThursday - target.getTime()) / 604_800_000); };
    case 'DAY': return (ms) => new Date(ms).getUTCDate();
    case 'DOW': return (ms) => new Date(ms).getUTCDay() + 1;
    case 'DOY': return (ms) => Math.floor((ms - Date.UTC(new Date(ms).getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
    case 'HOUR': return (ms) => new Date(ms).getUTCHours();
    case 'MINUTE': return (ms) => new Date(ms).getUTCMinutes();
    case 'SECOND': return (ms) => new Date(ms).getUTCSeconds();
    case 'MILLISECOND': return (ms) => new Date(ms).getUTCMilliseconds();
    case 'EPOCH': return (ms) => Math.floor(ms / 1000);
  }
  throw new UnsupportedSqlError(`EXTRACT(${unit})`);
}
