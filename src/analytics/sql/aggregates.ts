import { SqlValidationError, type Span } from './errors.js';
import { calciteType } from './expr.js';
import { BIGINT, DOUBLE, familyOf, isIntegral, isNumeric, plain, STRING, t, type SqlType } from './types.js';
import { compareValues, roundScale } from './values.js';

/**
 * Aggregate functions as accumulators: `add` folds a value in, `merge` joins two (session windows merge),
 * `retract` takes one out (regular GROUP BY over updates), `result` reads the value, and
 * `save`/`load` turn an accumulator into JSON for checkpoints.
 */
export interface AggImpl {
  type: SqlType;
  init(): unknown;
  add(acc: any, v: unknown): unknown;
  retract?(acc: any, v: unknown): unknown;
  merge(a: any, b: any): unknown;
  result(acc: any): unknown;
  save(acc: any): unknown;
  load(s: any): unknown;
}

const same = (x: unknown): unknown => x;

export function createAggregate(name: string, argTypes: SqlType[], distinct: boolean, countStar: boolean, span: Span): AggImpl {
  const arg = argTypes[0];
  const bad = (): never => {
    throw new SqlValidationError(`Cannot apply '${name}' to arguments of type '${name}(${argTypes.map((a) => `<${calciteType(a)}>`).join(', ')})'. Supported form(s): '${name}(<NUMERIC>)'`, span);
  };
  let impl: AggImpl;
  switch (name) {
    case 'COUNT':
      impl = {
        type: t('BIGINT', { nullable: false }),
        init: () => 0,
        add: countStar ? (a: number) => a + 1 : (a: number, v) => (v === null ? a : a + 1),
        retract: countStar ? (a: number) => a - 1 : (a: number, v) => (v === null ? a : a - 1),
        merge: (a: number, b: number) => a + b,
        result: same, save: same, load: same,
      };
      break;
    case 'SUM': case 'SUM0': {
      if (!arg || !isNumeric(arg)) bad();
      const ty = plain(arg!);
      const type = ty.name === 'DECIMAL' ? t('DECIMAL', { precision: 38, scale: ty.scale ?? 0 }) : isIntegral(ty) ? { ...ty } : { ...ty };
      const scale = type.name === 'DECIMAL' ? type.scale ?? 0 : undefined;
      const zero = name === 'SUM0' ? 0 : null;
      // [sum, non-null count] so that retracting the last value gives NULL again
      impl = {
        type: { ...type, nullable: name !== 'SUM0' },
        init: () => [0, 0],
        add: (a: [number, number], v) => { if (v !== null) { a[0] += v as number; a[1]++; } return a; },
        retract: (a: [number, number], v) => { if (v !== null) { a[0] -= v as number; a[1]--; } return a; },
        merge: (a: [number, number], b: [number, number]) => [a[0] + b[0], a[1] + b[1]],
        result: (a: [number, number]) => (a[1] === 0 ? zero : scale === undefined ? a[0] : roundScale(a[0], scale)),
        save: (a: [number, number]) => [...a], load: (s: [number, number]) => [...s],
      };
      break;
    }
    case 'AVG': {
      if (!arg || !isNumeric(arg)) bad();
      const ty = plain(arg!);
      // Flink's AVG keeps the argument type: AVG(INT) is an INT (integer division)
      const type = ty.name === 'DECIMAL' ? t('DECIMAL', { precision: 38, scale: Math.max(6, ty.scale ?? 0) }) : { ...ty };
      const integral = isIntegral(ty);
      const scale = type.name === 'DECIMAL' ? type.scale ?? 6 : undefined;
      impl = {
        type: { ...type, nullable: true },
        init: () => [0, 0],
        add: (a: [number, number], v) => { if (v !== null) { a[0] += v as number; a[1]++; } return a; },
        retract: (a: [number, number], v) => { if (v !== null) { a[0] -= v as number; a[1]--; } return a; },
        merge: (a: [number, number], b: [number, number]) => [a[0] + b[0], a[1] + b[1]],
        result: (a: [number, number]) => (a[1] === 0 ? null : integral ? Math.trunc(a[0] / a[1]) : scale !== undefined ? roundScale(a[0] / a[1], scale) : a[0] / a[1]),
        save: (a: [number, number]) => [...a], load: (s: [number, number]) => [...s],
      };
      break;
    }
    case 'MIN': case 'MAX': {
      if (!arg) bad();
      const better = name === 'MIN' ? (c: number) => c < 0 : (c: number) => c > 0;
      impl = {
        type: { ...plain(arg!), nullable: true },
        init: () => null,
        add: (a, v) => (v === null ? a : a === null || better(compareValues(v, a)) ? v : a),
        merge: (a, b) => (a === null ? b : b === null ? a : better(compareValues(b, a)) ? b : a),
        result: same, save: same, load: same,
      };
      break;
    }
    case 'FIRST_VALUE': case 'LAST_VALUE': {
      if (!arg) bad();
      const last = name === 'LAST_VALUE';
      impl = {
        type: { ...plain(arg!), nullable: true },
        init: () => null,
        add: last ? (a, v) => (v === null ? a : v) : (a, v) => (a === null ? v : a),
        merge: last ? (a, b) => (b === null ? a : b) : (a, b) => (a === null ? b : a),
        result: same, save: same, load: same,
      };
      break;
    }
    case 'LISTAGG': {
      impl = {
        type: STRING,
        init: () => [],
        add: (a: unknown[], v) => { if (v !== null) a.push(v); return a; },
        merge: (a: unknown[], b: unknown[]) => a.concat(b),
        result: (a: unknown[]) => (a.length === 0 ? null : a.join(',')),
        save: (a: unknown[]) => [...a], load: (s: unknown[]) => [...s],
      };
      break;
    }
    case 'STDDEV_POP': case 'STDDEV_SAMP': case 'VAR_POP': case 'VAR_SAMP': {
      if (!arg || !isNumeric(arg)) bad();
      const samp = name.endsWith('SAMP');
      const sqrt = name.startsWith('STDDEV');
      impl = {
        type: { ...DOUBLE, nullable: true },
        init: () => [0, 0, 0],
        add: (a: number[], v) => { if (v !== null) { const x = v as number; a[0]! += x; a[1]! += x * x; a[2]!++; } return a; },
        merge: (a: number[], b: number[]) => [a[0]! + b[0]!, a[1]! + b[1]!, a[2]! + b[2]!],
        result: (a: number[]) => {
          const n = a[2]!;
          if (n === 0 || (samp && n === 1)) return null;
          const v = (a[1]! - (a[0]! * a[0]!) / n) / (samp ? n - 1 : n);
          return sqrt ? Math.sqrt(Math.max(0, v)) : v;
        },
        save: (a: number[]) => [...a], load: (s: number[]) => [...s],
      };
      break;
    }
    default:
      throw new SqlValidationError(`No match found for function signature ${name}(${argTypes.map(familyOf).join(', ')})`, span);
  }
  return distinct ? distinctOf(impl) : impl;
}

/** AGG(DISTINCT x): keep the set of values seen, aggregate the set at the end. */
function distinctOf(inner: AggImpl): AggImpl {
  const fold = (values: Iterable<unknown>): unknown => {
    let acc = inner.init();
    for (const v of values) acc = inner.add(acc, v);
    return inner.result(acc);
  };
  return {
    type: inner.type,
    init: () => new Map<unknown, number>(),
    add: (a: Map<unknown, number>, v) => { if (v !== null) a.set(v, (a.get(v) ?? 0) + 1); return a; },
    retract: (a: Map<unknown, number>, v) => { if (v !== null) { const n = (a.get(v) ?? 0) - 1; if (n <= 0) a.delete(v); else a.set(v, n); } return a; },
    merge: (a: Map<unknown, number>, b: Map<unknown, number>) => { for (const [k, n] of b) a.set(k, (a.get(k) ?? 0) + n); return a; },
    result: (a: Map<unknown, number>) => fold(a.keys()),
    save: (a: Map<unknown, number>) => [...a.entries()],
    load: (s: [unknown, number][]) => new Map(s),
  };
}

export const COUNT_TYPE = BIGINT;
