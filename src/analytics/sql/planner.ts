import { createAggregate, type AggImpl } from './aggregates.js';
import type { Expr, FromItem, OrderItem, OverSpec, Query, QueryBody, Select } from './ast.js';
import { DEFAULT_PATH, localName, type Catalog, type TableDef } from './catalog.js';
import { SqlValidationError, TableError, UnsupportedSqlError, type Span } from './errors.js';
import { ExprCompiler, exprText, type Compiled, type Field } from './expr.js';
import { AGGREGATE_FUNCTIONS } from './functions.js';
import { StreamJoin } from './joins.js';
import { GroupAggregate, OverAggregate, WindowRank, UnionWatermarks } from './operators.js';
import type { Out, RowKind, RuntimeContext } from './runtime.js';
import { isTimestamp, plain, t, typeToString, type SqlType } from './types.js';
import { compareValues, type Row } from './values.js';
import { createWindowAggregate, type WindowSpec } from './windows.js';

/**
 * The planner: resolves names against the catalog, type-checks, and turns each query into a chain of push-based
 * operators whose expressions are compiled closures (built once here, called per row).
 */
export interface Rel {
  fields: Field[];
  /** Produces updates/retractions (regular GROUP BY), which append-only sinks refuse. */
  updating: boolean;
  /** Flink-style node description for "doesn't support consuming update changes which is produced by node …". */
  node: string;
  /** Set when this relation is a window TVF, so a GROUP BY window_start, window_end above it aggregates per window. */
  tvf?: TvfInfo;
  connect(out: Out): void;
}

interface TvfInfo {
  spec: WindowSpec;
  input: Rel;
  timeIndex: number;
  proctime: boolean;
  partition: Expr[];
}

export interface SourceHandle {
  connect(out: Out): void;
}

export interface PlanEnv {
  catalog: Catalog;
  now: () => number;
  ctx: RuntimeContext;
  source(table: TableDef): SourceHandle;
}

type Ctes = Map<string, () => Rel>;

const WINDOW_TVFS = ['TUMBLE', 'HOP', 'CUMULATE', 'SESSION'];
const WINDOW_COLUMNS = ['window_start', 'window_end', 'window_time'];

/** A structural key for an expression (spans removed) to match SELECT expressions with GROUP BY ones. */
export function exprKey(e: unknown): string {
  return JSON.stringify(e, (k, v) => (k === 'span' ? undefined : v));
}

function walk(e: Expr | undefined, visit: (e: Expr) => boolean | void): void {
  if (!e) return;
  if (visit(e) === false) return;
  switch (e.kind) {
    case 'call': e.args.forEach((a) => walk(a, visit)); break;
    case 'binary': walk(e.left, visit); walk(e.right, visit); break;
    case 'unary': case 'cast': case 'isNull': case 'isBool': walk(e.arg, visit); break;
    case 'case': walk(e.operand, visit); e.whens.forEach((w) => { walk(w.when, visit); walk(w.then, visit); }); walk(e.otherwise, visit); break;
    case 'between': walk(e.arg, visit); walk(e.low, visit); walk(e.high, visit); break;
    case 'in': walk(e.arg, visit); e.list.forEach((x) => walk(x, visit)); break;
    case 'like': walk(e.arg, visit); walk(e.pattern, visit); break;
    case 'timeUnitCall': e.args.forEach((a) => walk(a, visit)); break;
    case 'subscript': walk(e.arg, visit); walk(e.index, visit); break;
    case 'named': walk(e.value, visit); break;
    default: break;
  }
}

function isAggCall(e: Expr): e is Extract<Expr, { kind: 'call' }> {
  return e.kind === 'call' && e.over === undefined && AGGREGATE_FUNCTIONS.has(e.name);
}

export class Planner {
  constructor(private readonly env: PlanEnv) {}

  private compiler(fields: Field[], extra: Partial<ConstructorParameters<typeof ExprCompiler>[1]> = {}): ExprCompiler {
    return new ExprCompiler(fields, { now: this.env.now, ...extra });
  }

  planQuery(q: Query, outer: Ctes = new Map()): Rel {
    const ctes: Ctes = new Map(outer);
    for (const w of q.with) {
      const inner = new Map(ctes);
      ctes.set(w.name, () => this.planQuery(w.query, inner));
    }
    return this.planBody(q.body, ctes);
  }

  private planBody(body: QueryBody, ctes: Ctes): Rel {
    switch (body.kind) {
      case 'select': return this.planSelect(body, ctes);
      case 'values': throw new UnsupportedSqlError('VALUES as a streaming source (use the datagen connector or a table)');
      case 'union': {
        if (!body.all) throw new UnsupportedSqlError('UNION without ALL (an updating deduplication)');
        const left = this.planBody(body.left, ctes);
        const right = this.planBody(body.right, ctes);
        if (left.fields.length !== right.fields.length) throw new SqlValidationError('Column count mismatch in UNION ALL', body.span);
        return {
          fields: left.fields.map((f) => ({ name: f.name, type: f.type })),
          updating: left.updating || right.updating,
          node: `Union(all=[true])`,
          connect: (out) => {
            const union = new UnionWatermarks(out, 2);
            left.connect(union.input(0));
            right.connect(union.input(1));
          },
        };
      }
    }
  }

  // ---- FROM ----
  private planFrom(item: FromItem, ctes: Ctes): Rel {
    switch (item.kind) {
      case 'table': {
        const name = localName(item.name);
        const qualifier = item.alias ?? name;
        const cte = ctes.get(name);
        if (cte) return requalify(cte(), qualifier);
        const view = this.env.catalog.views.get(name);
        if (view) {
          const rel = this.planQuery(view.query);
          if (view.columns.length > 0) rel.fields = rel.fields.map((f, i) => ({ ...f, name: view.columns[i] ?? f.name }));
          return requalify(rel, qualifier);
        }
        const table = this.env.catalog.tables.get(name);
        if (!table) throw new SqlValidationError(`Object '${item.name.split('.').pop()}' not found`, item.span);
        this.env.catalog.checkUse(table, true);
        const source = this.env.source(table);
        return {
          fields: table.columns.map((c) => ({ name: c.name, qualifier, type: c.type })),
          updating: false,
          node: `TableSourceScan(table=[[default_catalog, default_database, ${name}]])`,
          connect: (out) => source.connect(out),
        };
      }
      case 'subquery': {
        const rel = this.planQuery(item.query, ctes);
        return requalify(rel, item.alias);
      }
      case 'tvf': return this.planTvf(item, ctes);
      case 'join': return this.planJoin(item, ctes);
    }
  }

  private planTvf(item: Extract<FromItem, { kind: 'tvf' }>, ctes: Ctes): Rel {
    const name = item.name;
    if (!WINDOW_TVFS.includes(name)) throw new SqlValidationError(`No match found for function signature ${name}(${item.args.map(() => '<ANY>').join(', ')})`, item.span);
    const order: Record<string, string[]> = {
      TUMBLE: ['DATA', 'TIMECOL', 'SIZE', 'OFFSET'],
      HOP: ['DATA', 'TIMECOL', 'SLIDE', 'SIZE', 'OFFSET'],
      CUMULATE: ['DATA', 'TIMECOL', 'STEP', 'SIZE', 'OFFSET'],
      SESSION: ['DATA', 'TIMECOL', 'GAP'],
    };
    const names = order[name]!;
    const args: Record<string, Expr> = {};
    item.args.forEach((a, i) => {
      if (a.kind === 'named') args[a.name] = a.value;
      else args[names[i] ?? `ARG${i}`] = a;
    });
    const signature = `${name}(TABLE table_name, DESCRIPTOR(timecol), ${name === 'SESSION' ? 'datetime interval' : name === 'TUMBLE' ? 'datetime interval[, datetime interval]' : 'datetime interval, datetime interval[, datetime interval]'})`;
    const required = names.filter((n) => n !== 'OFFSET');
    if (required.some((n) => !args[n]) || Object.keys(args).some((k) => !names.includes(k))) {
      throw new SqlValidationError(`Invalid number of arguments to function '${name}'. Was expecting ${required.length} arguments`, item.span);
    }
    const data = args.DATA!;
    if (data.kind !== 'tableArg') throw new SqlValidationError(`The window function ${signature} requires the first argument to be a TABLE`, data.span);
    const input = this.planFrom(data.from, ctes);
    const desc = args.TIMECOL!;
    if (desc.kind !== 'descriptor' || desc.columns.length !== 1) throw new SqlValidationError(`The window function ${signature} requires the timecol to be a DESCRIPTOR with one column`, desc.span);
    const timeName = desc.columns[0]!.name;
    const timeIndex = input.fields.findIndex((f) => f.name === timeName);
    if (timeIndex < 0) throw new SqlValidationError(`Unknown identifier '${timeName}'`, desc.columns[0]!.span);
    const timeType = input.fields[timeIndex]!.type;
    if (!timeType.timeAttr) {
      throw new SqlValidationError(`The window function ${signature} requires the timecol to be a time attribute type, but is ${typeToString(timeType)}.`, desc.span);
    }
    const interval = (e: Expr | undefined): number => {
      if (!e) return 0;
      const c = this.compiler([]).compile(e);
      if (c.type.name !== 'INTERVAL_DAY_TIME' || !c.constant) throw new SqlValidationError(`The window function ${signature} requires the interval arguments to be interval literals`, e.span);
      return c.fn([]) as number;
    };
    let spec: WindowSpec;
    const offset = interval(args.OFFSET);
    switch (name) {
      case 'TUMBLE': spec = { kind: 'TUMBLE', size: interval(args.SIZE), offset }; break;
      case 'HOP': {
        spec = { kind: 'HOP', slide: interval(args.SLIDE), size: interval(args.SIZE), offset };
        if (spec.size % spec.slide !== 0) throw new TableError(`HOP table function based aggregate requires size must be an integral multiple of slide, but got size ${spec.size} ms and slide ${spec.slide} ms`);
        break;
      }
      case 'CUMULATE': {
        spec = { kind: 'CUMULATE', step: interval(args.STEP), size: interval(args.SIZE), offset };
        if (spec.size % spec.step !== 0) throw new TableError(`CUMULATE table function based aggregate requires maxSize must be an integral multiple of step, but got maxSize ${spec.size} ms and step ${spec.step} ms`);
        break;
      }
      default: spec = { kind: 'SESSION', gap: interval(args.GAP) };
    }
    for (const v of Object.values(spec)) if (typeof v === 'number' && v <= 0 && v !== offset) throw new TableError(`Window size, slide, step and gap must be positive, but got ${v} ms`);
    const proctime = timeType.timeAttr === 'proctime';
    const qualifier = item.alias;
    const fields: Field[] = [
      ...input.fields.map((f, i) => ({ name: f.name, qualifier: qualifier ?? f.qualifier, type: i === timeIndex ? plain(f.type) : f.type })),
      { name: 'window_start', qualifier, type: t('TIMESTAMP', { precision: 3, nullable: false }) },
      { name: 'window_end', qualifier, type: t('TIMESTAMP', { precision: 3, nullable: false }) },
      proctime
        ? { name: 'window_time', qualifier, type: t('TIMESTAMP_LTZ', { precision: 3, nullable: false, timeAttr: 'proctime' }) }
        : { name: 'window_time', qualifier, type: t(timeType.name, { precision: 3, nullable: false, timeAttr: 'rowtime' }) },
    ];
    const info: TvfInfo = { spec, input, timeIndex, proctime, partition: data.partitionBy };
    return {
      fields,
      updating: input.updating,
      node: `WindowTableFunction(window=[${name}])`,
      tvf: info,
      connect: (out) => {
        if (spec.kind === 'SESSION') throw new UnsupportedSqlError('a SESSION window TVF that is not followed by a window aggregation');
        const assigned: number[] = [];
        const now = this.env.now;
        // A bare window TVF appends window columns to each row, once per window it belongs to.
        input.connect({
          row(r: Row, kind: RowKind) {
            const ts = proctime ? now() : (r[timeIndex] as number | null);
            if (ts === null) return;
            import_assign(spec, ts, assigned);
            for (let i = 0; i < assigned.length; i += 2) out.row([...r, assigned[i], assigned[i + 1], assigned[i + 1]! - 1], kind);
          },
          watermark: (wm) => out.watermark(wm),
        });
      },
    };
  }

  private planJoin(item: Extract<FromItem, { kind: 'join' }>, ctes: Ctes): Rel {
    const left = this.planFrom(item.left, ctes);
    const right = this.planFrom(item.right, ctes);
    const lw = left.fields.length;
    const fields = [...left.fields, ...right.fields];
    if (left.updating || right.updating) throw new UnsupportedSqlError('joins over updating inputs');
    const conjuncts: Expr[] = [];
    const split = (e: Expr | undefined): void => {
      if (!e) return;
      if (e.kind === 'binary' && e.op === 'AND') { split(e.left); split(e.right); } else conjuncts.push(e);
    };
    split(item.on);
    const sideOf = (e: Expr): 'L' | 'R' | 'both' | 'none' => {
      const seen = new Set<'L' | 'R'>();
      this.compiler(fields, { onColumn: (i) => seen.add(i < lw ? 'L' : 'R') }).compile(e);
      return seen.size === 2 ? 'both' : seen.size === 0 ? 'none' : [...seen][0]!;
    };
    const leftKeys: Expr[] = [];
    const rightKeys: Expr[] = [];
    let lower = -Infinity;
    let upper = Infinity;
    let leftTime: number | undefined;
    let rightTime: number | undefined;
    // a time attribute column, optionally ± an interval literal: { side, index, offset }
    const linear = (e: Expr): { side: 'L' | 'R'; index: number; offset: number } | undefined => {
      if (e.kind === 'ident') {
        const c = this.compiler(fields).column(e.parts, e.span);
        if (!c.type.timeAttr) return undefined;
        let index = -1;
        this.compiler(fields, { onColumn: (i) => { index = i; } }).column(e.parts, e.span);
        return { side: index < lw ? 'L' : 'R', index, offset: 0 };
      }
      if (e.kind === 'binary' && (e.op === '+' || e.op === '-')) {
        const base = linear(e.left);
        const iv = this.compiler([]).compile(e.right);
        if (!base || !iv.constant || iv.type.name !== 'INTERVAL_DAY_TIME') return undefined;
        return { ...base, offset: base.offset + (e.op === '+' ? 1 : -1) * (iv.fn([]) as number) };
      }
      return undefined;
    };
    const bound = (a: Expr, op: string, b: Expr): boolean => {
      const la = linear(a);
      const lb = linear(b);
      if (!la || !lb || la.side === lb.side) return false;
      // normalise to d = left.ts - right.ts compared with a constant
      let v: number;
      let rel = op;
      if (la.side === 'L') v = lb.offset - la.offset;
      else { v = la.offset - lb.offset; rel = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' }[op] ?? op; }
      if (rel === '>' || rel === '>=') lower = Math.max(lower, v);
      else upper = Math.min(upper, v);
      leftTime = la.side === 'L' ? la.index : lb.index;
      rightTime = (la.side === 'R' ? la.index : lb.index) - lw;
      return true;
    };
    for (const c of conjuncts) {
      if (c.kind === 'binary' && c.op === '=') {
        const a = sideOf(c.left);
        const b = sideOf(c.right);
        if (a === 'L' && b === 'R') { leftKeys.push(c.left); rightKeys.push(c.right); continue; }
        if (a === 'R' && b === 'L') { leftKeys.push(c.right); rightKeys.push(c.left); continue; }
      }
      if (c.kind === 'binary' && ['<', '<=', '>', '>='].includes(c.op)) bound(c.left, c.op, c.right);
      if (c.kind === 'between' && !c.not) { bound(c.arg, '>=', c.low); bound(c.arg, '<=', c.high); }
    }
    const condition = item.on ? this.predicate(item.on, fields, 'ON') : () => true;
    const keyFn = (exprs: Expr[], scope: Field[]): ((r: Row) => unknown) => {
      const fs = exprs.map((e) => this.compiler(scope).compile(e).fn);
      if (fs.length === 0) return () => '';
      if (fs.length === 1) { const f = fs[0]!; return (r) => { const v = f(r); return typeof v === 'object' && v !== null ? JSON.stringify(v) : v; }; }
      return (r) => { const vs = fs.map((f) => f(r)); return vs.includes(null) ? null : JSON.stringify(vs); };
    };
    const lastName = (e: Expr): string | undefined => (e.kind === 'ident' ? e.parts[e.parts.length - 1] : undefined);
    const windowJoin = ['window_start', 'window_end'].every((w) => leftKeys.some((k, i) => lastName(k) === w && lastName(rightKeys[i]!) === w));
    const joinType = item.joinType === 'CROSS' ? 'INNER' : item.joinType;
    let kind: 'window' | 'interval' | 'regular';
    if (windowJoin) kind = 'window';
    else if (Number.isFinite(lower) && Number.isFinite(upper)) kind = 'interval';
    else kind = 'regular';
    if (kind !== 'window' && joinType !== 'INNER') {
      throw new UnsupportedSqlError(`${joinType} OUTER ${kind === 'interval' ? 'interval ' : ''}join (only inner regular/interval joins and window joins of every type are run)`);
    }
    const outFields = kind === 'regular' ? fields.map((f) => ({ ...f, type: plain(f.type) })) : fields;
    const leftEnd = left.fields.findIndex((f) => f.name === 'window_end');
    const rightEnd = right.fields.findIndex((f) => f.name === 'window_end');
    if (kind === 'window') {
      // window_start/window_end become plain timestamps after a window join; window_time is not carried on
      for (const f of outFields) if (f.name === 'window_time') f.type = plain(f.type);
    }
    const leftKey = keyFn(leftKeys, left.fields);
    const rightKey = keyFn(rightKeys, right.fields);
    return {
      fields: outFields,
      updating: false,
      node: kind === 'window' ? 'WindowJoin' : kind === 'interval' ? 'IntervalJoin' : 'Join',
      connect: (out) => {
        const join = new StreamJoin({
          kind, joinType, leftWidth: lw, rightWidth: right.fields.length, leftKey, rightKey, condition,
          leftTime, rightTime, lower, upper, leftEnd, rightEnd, out,
        }, this.env.ctx);
        left.connect(join.input(0));
        right.connect(join.input(1));
      },
    };
  }

  // ---- SELECT ----
  private expandItems(sel: Select, fields: Field[]): { expr: Expr; name: string; span: Span }[] {
    const out: { expr: Expr; name: string; span: Span }[] = [];
    sel.items.forEach((item, i) => {
      if (item.expr.kind === 'star') {
        const q = item.expr.qualifier;
        const chosen = fields.filter((f) => q === undefined || f.qualifier === q);
        if (q !== undefined && chosen.length === 0) throw new SqlValidationError(`Unknown identifier '${q}'`, item.expr.span);
        for (const f of chosen) {
          const parts = f.qualifier ? [f.qualifier, f.name] : [f.name];
          // SELECT * over a join: a repeated name gets a suffix, as Flink's window_start0
          let name = f.name;
          for (let n = 0; out.some((o) => o.name === name); n++) name = `${f.name}${n}`;
          out.push({ expr: { kind: 'ident', parts, span: item.span }, name, span: item.span });
        }
        return;
      }
      const name = item.alias ?? (item.expr.kind === 'ident' ? item.expr.parts[item.expr.parts.length - 1]! : `EXPR$${i}`);
      out.push({ expr: item.expr, name, span: item.span });
    });
    return out;
  }

  private planSelect(sel: Select, ctes: Ctes): Rel {
    if (!sel.from) throw new UnsupportedSqlError('SELECT without FROM in a streaming job');
    if (sel.orderBy.length > 0 || sel.limit !== undefined) throw new UnsupportedSqlError('ORDER BY / LIMIT on an unbounded stream (use window Top-N: ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY …))');
    // FROM a, b WHERE a.k = b.k AND a.ts BETWEEN …: the WHERE is the join condition
    if (sel.from.kind === 'join' && sel.from.joinType === 'CROSS' && sel.where) {
      sel = { ...sel, from: { ...sel.from, joinType: 'INNER', on: sel.where }, where: undefined };
    }
    const from = this.planFrom(sel.from!, ctes);
    const items = this.expandItems(sel, from.fields);
    const aggCalls: Extract<Expr, { kind: 'call' }>[] = [];
    const overCalls: Extract<Expr, { kind: 'call' }>[] = [];
    for (const e of [...items.map((i) => i.expr), ...(sel.having ? [sel.having] : [])]) {
      walk(e, (x) => {
        if (x.kind === 'call' && x.over !== undefined) { overCalls.push(x); return false; }
        if (isAggCall(x)) { aggCalls.push(x); return false; }
        return true;
      });
    }
    if (sel.where) walk(sel.where, (x) => { if (isAggCall(x)) throw new SqlValidationError('Aggregate expression is illegal in WHERE clause', x.span); });
    if (sel.groupBy.length > 0 || aggCalls.length > 0 || sel.distinct) {
      if (overCalls.length > 0) throw new UnsupportedSqlError('OVER aggregations together with GROUP BY');
      return this.planAggregate(sel, from, items, aggCalls);
    }
    if (overCalls.length > 0) return this.planOver(sel, from, items, overCalls);
    return this.planProject(sel, from, items);
  }

  private planProject(sel: Select, from: Rel, items: { expr: Expr; name: string }[]): Rel {
    const filter = sel.where ? this.predicate(sel.where, from.fields, 'WHERE') : undefined;
    const compiled = items.map((i) => this.compiler(from.fields).compile(i.expr));
    const fields = items.map((i, k) => ({ name: i.name, type: compiled[k]!.type }));
    // The identity projection (SELECT * without WHERE) passes rows through untouched.
    const identity = !filter && items.length === from.fields.length && items.every((i, k) => i.expr.kind === 'ident' && from.fields.findIndex((f) => f.name === (i.expr as { parts: string[] }).parts.at(-1)) === k);
    const project = projector(compiled);
    return {
      fields,
      updating: from.updating,
      node: from.node,
      connect: (out) => {
        if (identity) return from.connect(out);
        from.connect(filter
          ? { row: (r, kind) => { if (filter(r) === true) out.row(project(r), kind); }, watermark: (wm) => out.watermark(wm) }
          : { row: (r, kind) => out.row(project(r), kind), watermark: (wm) => out.watermark(wm) });
      },
    };
  }

  private predicate(e: Expr, fields: Field[], clause: string, onColumn?: (i: number) => void): (r: Row) => unknown {
    const c = this.compiler(fields, { clause, onColumn }).compile(e);
    if (c.type.name !== 'BOOLEAN' && c.type.name !== 'NULL') {
      throw new SqlValidationError(`${clause} clause must be a condition`, e.span);
    }
    return c.fn;
  }

  private planAggregate(sel: Select, from: Rel, items: { expr: Expr; name: string; span: Span }[], aggCalls: Extract<Expr, { kind: 'call' }>[]): Rel {
    const tvf = from.tvf;
    const groupKeys = sel.groupBy.map((g) => ({ expr: g, key: exprKey(g) }));
    // Window TVF aggregation: GROUP BY window_start, window_end (+ keys) over TABLE(TUMBLE/HOP/CUMULATE/SESSION(...))
    const refersTo = (g: Expr, col: string): boolean => g.kind === 'ident' && g.parts[g.parts.length - 1] === col && from.fields.some((f) => f.name === col);
    const hasStart = sel.groupBy.some((g) => refersTo(g, 'window_start'));
    const hasEnd = sel.groupBy.some((g) => refersTo(g, 'window_end'));
    if (tvf && hasStart && hasEnd) return this.planWindowAggregate(sel, from, tvf, items, aggCalls, groupKeys);
    const legacy = sel.groupBy.find((g) => g.kind === 'call' && ['TUMBLE', 'HOP', 'SESSION'].includes(g.name));
    if (legacy) return this.planGroupWindow(sel, from, items, aggCalls, groupKeys, legacy as Extract<Expr, { kind: 'call' }>);
    return this.planGroupAggregate(sel, from, items, aggCalls, groupKeys);
  }

  /** Compile aggregate calls: argument closures over the input and their accumulators. */
  private aggregates(aggCalls: Extract<Expr, { kind: 'call' }>[], fields: Field[], onColumn?: (i: number) => void): { keys: string[]; args: ((r: Row) => unknown)[]; impls: AggImpl[]; calls: Extract<Expr, { kind: 'call' }>[] } {
    const keys: string[] = [];
    const args: ((r: Row) => unknown)[] = [];
    const impls: AggImpl[] = [];
    const calls: Extract<Expr, { kind: 'call' }>[] = [];
    for (const call of aggCalls) {
      const key = exprKey(call);
      if (keys.includes(key)) continue;
      const compiled = call.args.map((a) => this.compiler(fields, { clause: 'aggregate', onColumn }).compile(a));
      if (call.name === 'COUNT' && compiled.length === 0 && !call.countStar) throw new SqlValidationError(`Invalid number of arguments to function 'COUNT'. Was expecting 1 arguments`, call.span);
      const impl = createAggregate(call.name, compiled.map((c) => c.type), call.distinct, call.countStar, call.span);
      keys.push(key);
      impls.push(impl);
      calls.push(call);
      const first = compiled[0];
      if (call.name === 'LISTAGG' && compiled.length > 1) {
        const f = first!.fn;
        const sep = compiled[1]!.fn([]) as string;
        impls[impls.length - 1] = { ...impl, result: (a: unknown[]) => (a.length === 0 ? null : a.map(String).join(sep)) };
        args.push(f);
      } else args.push(first ? first.fn : () => 1);
    }
    return { keys, args, impls, calls };
  }

  /**
   * Compile the SELECT list and HAVING over an aggregate's output row `[...keys, (window_start, window_end,) ...aggs]`.
   * Group keys and aggregates resolve to positions in that row; any other column is "not being grouped".
   */
  private postAggregate(
    items: { expr: Expr; name: string }[], having: Expr | undefined, inputFields: Field[],
    groupKeys: { key: string; type: SqlType }[], aggKeys: string[], aggTypes: SqlType[],
    windowRef: ((e: Expr) => Compiled | undefined) | undefined, windowed: boolean,
  ): { project: (r: Row) => Row; having?: (r: Row) => unknown; fields: Field[] } {
    const nKeys = groupKeys.length;
    const aggBase = nKeys + (windowed ? 2 : 0);
    const inputCompiler = this.compiler(inputFields);
    const rewrite = (e: Expr): Compiled | undefined => {
      const key = exprKey(e);
      const gi = groupKeys.findIndex((g) => g.key === key);
      if (gi >= 0) return { type: groupKeys[gi]!.type, fn: (r) => r[gi] };
      if (e.kind === 'call' && e.over === undefined && AGGREGATE_FUNCTIONS.has(e.name)) {
        const ai = aggKeys.indexOf(key);
        const idx = aggBase + ai;
        return { type: aggTypes[ai]!, fn: (r) => r[idx] };
      }
      const w = windowRef?.(e);
      if (w) return w;
      if (e.kind === 'ident') {
        inputCompiler.column(e.parts, e.span); // Calcite reports unknown columns before grouping errors
        throw new SqlValidationError(`Expression '${exprText(e)}' is not being grouped`, e.span);
      }
      return undefined;
    };
    const c = this.compiler([], { rewrite });
    const compiled = items.map((i) => c.compile(i.expr));
    const havingFn = having ? c.compile(having).fn : undefined;
    return { project: projector(compiled), having: havingFn, fields: items.map((i, k) => ({ name: i.name, type: compiled[k]!.type })) };
  }

  private planWindowAggregate(sel: Select, from: Rel, tvf: TvfInfo, items: { expr: Expr; name: string; span: Span }[], aggCalls: Extract<Expr, { kind: 'call' }>[], groupKeys: { expr: Expr; key: string }[]): Rel {
    const inputLen = tvf.input.fields.length;
    let needsWindowColumns = false;
    const onColumn = (i: number): void => { if (i >= inputLen) needsWindowColumns = true; };
    const filter = sel.where ? this.predicate(sel.where, from.fields, 'WHERE', onColumn) : undefined;
    const keyExprs = groupKeys.filter((g) => !(g.expr.kind === 'ident' && WINDOW_COLUMNS.includes(g.expr.parts[g.expr.parts.length - 1]!)));
    const keyCompiled = keyExprs.map((g) => this.compiler(from.fields, { clause: 'GROUP BY', onColumn }).compile(g.expr));
    const aggs = this.aggregates(aggCalls, from.fields, onColumn);
    const partition = tvf.partition.map((p) => this.compiler(tvf.input.fields).compile(p).fn);
    if (tvf.spec.kind === 'SESSION' && needsWindowColumns) throw new UnsupportedSqlError('reading window_start/window_end/window_time before a SESSION window aggregation');
    const nKeys = keyExprs.length;
    const winType = t('TIMESTAMP', { precision: 3, nullable: false });
    const timeAttrType = from.fields[inputLen + 2]!.type;
    const windowRef = (e: Expr): Compiled | undefined => {
      if (e.kind !== 'ident') return undefined;
      const name = e.parts[e.parts.length - 1]!;
      if (!WINDOW_COLUMNS.includes(name) || !from.fields.some((f) => f.name === name)) return undefined;
      if (name === 'window_start') return { type: winType, fn: (r) => r[nKeys] };
      if (name === 'window_end') return { type: winType, fn: (r) => r[nKeys + 1] };
      return { type: timeAttrType, fn: (r) => (r[nKeys + 1] as number) - 1 };
    };
    const post = this.postAggregate(items, sel.having, from.fields, keyExprs.map((g, i) => ({ key: g.key, type: keyCompiled[i]!.type })), aggs.keys, aggs.impls.map((a) => a.type), windowRef, true);
    if (tvf.input.updating) throw new TableError(`StreamPhysicalWindowAggregate doesn't support consuming update and delete changes which is produced by node ${tvf.input.node}`);
    return {
      fields: post.fields,
      updating: false,
      node: `WindowAggregate(window=[${tvf.spec.kind}])`,
      connect: (out) => {
        const projectOut: Out = {
          row: post.having
            ? (r, kind) => { if (post.having!(r) === true) out.row(post.project(r), kind); }
            : (r, kind) => out.row(post.project(r), kind),
          watermark: (wm) => out.watermark(wm),
        };
        const op = createWindowAggregate({
          spec: tvf.spec, timeIndex: tvf.timeIndex, proctime: tvf.proctime, needsWindowColumns, filter,
          keys: keyCompiled.map((k) => k.fn), partition, aggArgs: aggs.args, aggs: aggs.impls, out: projectOut,
        }, this.env.ctx);
        tvf.input.connect(op);
      },
    };
  }

  /** Legacy group windows: GROUP BY TUMBLE(ts, size) | HOP(ts, slide, size) | SESSION(ts, gap), with TUMBLE_START… */
  private planGroupWindow(sel: Select, from: Rel, items: { expr: Expr; name: string; span: Span }[], aggCalls: Extract<Expr, { kind: 'call' }>[], groupKeys: { expr: Expr; key: string }[], win: Extract<Expr, { kind: 'call' }>): Rel {
    const [timeArg, ...rest] = win.args;
    if (!timeArg || timeArg.kind !== 'ident') throw new SqlValidationError(`Window function ${win.name} requires a time attribute as its first argument`, win.span);
    const timeCol = this.compiler(from.fields).column(timeArg.parts, timeArg.span);
    const timeIndex = from.fields.findIndex((f) => f.name === timeArg.parts[timeArg.parts.length - 1]);
    if (!timeCol.type.timeAttr) throw new TableError(`Window aggregate can only be defined over a time attribute column, but ${typeToString(timeCol.type)} encountered.`);
    const ms = rest.map((e) => {
      const c = this.compiler([]).compile(e);
      if (c.type.name !== 'INTERVAL_DAY_TIME' || !c.constant) throw new SqlValidationError(`Window function ${win.name} requires interval literals`, e.span);
      return c.fn([]) as number;
    });
    let spec: WindowSpec;
    if (win.name === 'TUMBLE' && (ms.length === 1 || ms.length === 2)) spec = { kind: 'TUMBLE', size: ms[0]!, offset: ms[1] ?? 0 };
    else if (win.name === 'HOP' && (ms.length === 2 || ms.length === 3)) spec = { kind: 'HOP', slide: ms[0]!, size: ms[1]!, offset: ms[2] ?? 0 };
    else if (win.name === 'SESSION' && ms.length === 1) spec = { kind: 'SESSION', gap: ms[0]! };
    else throw new SqlValidationError(`Invalid number of arguments to function '${win.name}'`, win.span);
    const keyExprs = groupKeys.filter((g) => g.expr !== win);
    const filter = sel.where ? this.predicate(sel.where, from.fields, 'WHERE') : undefined;
    const keyCompiled = keyExprs.map((g) => this.compiler(from.fields, { clause: 'GROUP BY' }).compile(g.expr));
    const aggs = this.aggregates(aggCalls, from.fields);
    const nKeys = keyExprs.length;
    const proctime = timeCol.type.timeAttr === 'proctime';
    const windowRef = (e: Expr): Compiled | undefined => {
      if (e.kind !== 'call') return undefined;
      const m = /^(TUMBLE|HOP|SESSION)_(START|END|ROWTIME|PROCTIME)$/.exec(e.name);
      if (!m) return undefined;
      if (m[1] !== win.name || exprKey(e.args) !== exprKey(win.args)) throw new SqlValidationError(`Call to auxiliary group function '${e.name}' must have matching call to group function '${win.name}' in GROUP BY clause`, e.span);
      switch (m[2]) {
        case 'START': return { type: t('TIMESTAMP', { precision: 3, nullable: false }), fn: (r) => r[nKeys] };
        case 'END': return { type: t('TIMESTAMP', { precision: 3, nullable: false }), fn: (r) => r[nKeys + 1] };
        case 'ROWTIME': return { type: t('TIMESTAMP', { precision: 3, nullable: false, timeAttr: 'rowtime' }), fn: (r) => (r[nKeys + 1] as number) - 1 };
        default: return { type: t('TIMESTAMP_LTZ', { precision: 3, nullable: false, timeAttr: 'proctime' }), fn: (r) => (r[nKeys + 1] as number) - 1 };
      }
    };
    const post = this.postAggregate(items, sel.having, from.fields, keyExprs.map((g, i) => ({ key: g.key, type: keyCompiled[i]!.type })), aggs.keys, aggs.impls.map((a) => a.type), windowRef, true);
    const keyFns = keyCompiled.map((k) => k.fn);
    return {
      fields: post.fields,
      updating: false,
      node: `GroupWindowAggregate(window=[${win.name}])`,
      connect: (out) => {
        const projectOut: Out = {
          row: (r, kind) => { if (!post.having || post.having(r) === true) out.row(post.project(r), kind); },
          watermark: (wm) => out.watermark(wm),
        };
        const op = createWindowAggregate({
          spec, timeIndex, proctime, needsWindowColumns: false, filter, keys: keyFns,
          partition: spec.kind === 'SESSION' ? keyFns : [], aggArgs: aggs.args, aggs: aggs.impls, out: projectOut,
        }, this.env.ctx);
        from.connect(op);
      },
    };
  }

  /** Regular GROUP BY: an updating stream (+I, then -U/+U per change), which only print/blackhole sinks accept. */
  private planGroupAggregate(sel: Select, from: Rel, items: { expr: Expr; name: string; span: Span }[], aggCalls: Extract<Expr, { kind: 'call' }>[], groupKeys: { expr: Expr; key: string }[]): Rel {
    let keys = groupKeys;
    if (sel.distinct && sel.groupBy.length === 0 && aggCalls.length === 0) keys = items.map((i) => ({ expr: i.expr, key: exprKey(i.expr) }));
    const filter = sel.where ? this.predicate(sel.where, from.fields, 'WHERE') : undefined;
    const keyCompiled = keys.map((g) => this.compiler(from.fields, { clause: 'GROUP BY' }).compile(g.expr));
    const aggs = this.aggregates(aggCalls, from.fields);
    const post = this.postAggregate(items, sel.having, from.fields, keys.map((g, i) => ({ key: g.key, type: keyCompiled[i]!.type })), aggs.keys, aggs.impls.map((a) => a.type), undefined, false);
    const keyNames = keys.map((k) => exprText(k.expr));
    const node = `GroupAggregate(${keyNames.length ? `groupBy=[${keyNames.join(', ')}], ` : ''}select=[${[...keyNames, ...aggs.calls.map((c, i) => `${exprText(c)} AS EXPR$${keyNames.length + i}`)].join(', ')}])`;
    return {
      fields: post.fields,
      updating: true,
      node,
      connect: (out) => {
        const projectOut: Out = {
          row: (r, kind) => { if (!post.having || post.having(r) === true) out.row(post.project(r), kind); },
          watermark: (wm) => out.watermark(wm),
        };
        from.connect(new GroupAggregate({ filter, keys: keyCompiled.map((k) => k.fn), aggArgs: aggs.args, aggs: aggs.impls, out: projectOut }, this.env.ctx));
      },
    };
  }

  /**
   * OVER windows: `agg(x) OVER (PARTITION BY k ORDER BY rowtime RANGE|ROWS … PRECEDING)`, and ROW_NUMBER() for
   * window Top-N (`PARTITION BY window_start, window_end … ORDER BY …`, filtered by `rn <= N` above).
   */
  private planOver(sel: Select, from: Rel, items: { expr: Expr; name: string; span: Span }[], overCalls: Extract<Expr, { kind: 'call' }>[]): Rel {
    const filter = sel.where ? this.predicate(sel.where, from.fields, 'WHERE') : undefined;
    const resolve = (c: Extract<Expr, { kind: 'call' }>): OverSpec => {
      if (typeof c.over === 'string') {
        const w = sel.windows[c.over];
        if (!w) throw new SqlValidationError(`Window '${c.over}' not found`, c.span);
        return w;
      }
      return c.over!;
    };
    const specs = overCalls.map(resolve);
    const first = specs[0]!;
    if (specs.some((s) => exprKey(s) !== exprKey(first))) throw new UnsupportedSqlError('OVER aggregations with different window definitions in one SELECT');
    const comp = this.compiler(from.fields);
    const partition = first.partitionBy.map((p) => comp.compile(p).fn);
    const rowNumber = overCalls.filter((c) => c.name === 'ROW_NUMBER' || c.name === 'RANK' || c.name === 'DENSE_RANK');
    const nOver = overCalls.length;
    const overTypes: SqlType[] = [];
    const overKeys = overCalls.map((c) => exprKey(c));
    let connectOp: (out: Out) => Out;
    if (rowNumber.length > 0) {
      if (rowNumber.length !== overCalls.length) throw new UnsupportedSqlError('ROW_NUMBER() together with other OVER aggregations');
      const names = first.partitionBy.map((p) => (p.kind === 'ident' ? p.parts[p.parts.length - 1] : ''));
      const startIdx = first.partitionBy.findIndex((_p, i) => names[i] === 'window_start');
      const endIdx = first.partitionBy.findIndex((_p, i) => names[i] === 'window_end');
      if (startIdx < 0 || endIdx < 0) {
        throw new TableError(`Table sink doesn't support consuming update changes: a ROW_NUMBER() Top-N over an unbounded stream (without PARTITION BY window_start, window_end) is an updating query and is not run by this engine`);
      }
      const order = first.orderBy.map((o: OrderItem) => ({ fn: comp.compile(o.expr).fn, desc: o.desc }));
      const compare = (a: Row, b: Row): number => {
        for (const o of order) {
          const va = o.fn(a), vb = o.fn(b);
          const c = va === null ? (vb === null ? 0 : -1) : vb === null ? 1 : compareValues(va, vb);
          if (c !== 0) return o.desc ? -c : c;
        }
        return 0;
      };
      const endFn = partition[endIdx]!;
      overTypes.push(...overCalls.map(() => t('BIGINT', { nullable: false })));
      connectOp = (out) => new WindowRank({ partition, windowEnd: (r) => endFn(r) as number, compare, filter, out }, this.env.ctx);
    } else {
      if (first.orderBy.length !== 1) throw new TableError('OVER windows must be ordered by exactly one time attribute');
      const orderExpr = first.orderBy[0]!.expr;
      const order = comp.compile(orderExpr);
      if (!order.type.timeAttr || first.orderBy[0]!.desc) throw new TableError('OVER windows\' ordering in stream mode must be defined on a time attribute.');
      const timeIndex = from.fields.findIndex((f) => orderExpr.kind === 'ident' && f.name === orderExpr.parts[orderExpr.parts.length - 1]);
      const aggs = overCalls.map((c) => {
        const args = c.args.map((a) => comp.compile(a));
        const impl = createAggregate(c.name, args.map((a) => a.type), c.distinct, c.countStar, c.span);
        overTypes.push(impl.type);
        return { impl, arg: args[0]?.fn ?? (() => 1) };
      });
      let frame: { rows?: number; range?: number } = {};
      if (first.frame) {
        if (first.frame.preceding === 'UNBOUNDED') frame = {};
        else {
          const p = comp.compile(first.frame.preceding);
          const v = p.fn([]) as number;
          frame = first.frame.unit === 'ROWS' ? { rows: v } : { range: v };
        }
      }
      connectOp = (out) => new OverAggregate({ partition, timeIndex, proctime: order.type.timeAttr === 'proctime', frame, aggs, filter, out }, this.env.ctx);
    }
    // The operator emits input row + one column per OVER call.
    const width = from.fields.length;
    const rewrite = (e: Expr): Compiled | undefined => {
      if (e.kind === 'call' && e.over !== undefined) {
        const i = overKeys.indexOf(exprKey(e));
        return { type: overTypes[i]!, fn: (r) => r[width + i] };
      }
      return undefined;
    };
    const post = this.compiler(from.fields, { rewrite });
    const compiled = items.map((i) => post.compile(i.expr));
    const project = projector(compiled);
    void nOver;
    return {
      fields: items.map((i, k) => ({ name: i.name, type: compiled[k]!.type })),
      updating: from.updating,
      node: rowNumber.length > 0 ? 'WindowRank' : 'OverAggregate',
      connect: (out) => {
        from.connect(connectOp({ row: (r, kind) => out.row(project(r), kind), watermark: (wm) => out.watermark(wm) }));
      },
    };
  }
}

function import_assign(spec: WindowSpec, ts: number, out: number[]): void {
  assignWindowsLocal(spec, ts, out);
}
import { assignWindows as assignWindowsLocal } from './windows.js';

function requalify(rel: Rel, qualifier: string | undefined): Rel {
  if (qualifier === undefined) return rel;
  return { ...rel, fields: rel.fields.map((f) => ({ ...f, qualifier })), tvf: rel.tvf };
}

/** One closure building the output row from compiled column closures. */
export function projector(compiled: Compiled[]): (r: Row) => Row {
  const fs = compiled.map((c) => c.fn);
  const n = fs.length;
  switch (n) {
    case 1: { const [a] = fs as [(r: Row) => unknown]; return (r) => [a(r)]; }
    case 2: { const [a, b] = fs as [(r: Row) => unknown, (r: Row) => unknown]; return (r) => [a(r), b(r)]; }
    case 3: { const [a, b, c] = fs as [(r: Row) => unknown, (r: Row) => unknown, (r: Row) => unknown]; return (r) => [a(r), b(r), c(r)]; }
    default: return (r) => { const o = new Array(n); for (let i = 0; i < n; i++) o[i] = fs[i]!(r); return o; };
  }
}

export { DEFAULT_PATH, isTimestamp };
