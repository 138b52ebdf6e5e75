/**
 * Metric math, the arithmetic part: `+ - * /`, parentheses, numbers and the ids of other queries
 * (`requests * 2`, `(errors / requests) * 100`). A series combined with a series keeps the
 * timestamps both have; with a number, every point. CloudWatch's functions (SUM, FILL, …) and
 * Metrics Insights are not evaluated: an expression using them is refused as invalid.
 */
export interface Series {
  timestamps: number[];
  values: number[];
}

type Node = { kind: 'number'; value: number } | { kind: 'id'; id: string } | { kind: 'op'; op: string; left: Node; right: Node } | { kind: 'neg'; operand: Node };

export class ExpressionError extends Error {}

const TOKEN = /\s*(?:(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|([a-z][A-Za-z0-9_]*)|([-+*/()]))/y;

export function parseExpression(text: string): Node {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    TOKEN.lastIndex = at;
    const match = TOKEN.exec(text);
    if (!match) throw new ExpressionError(`unexpected text at ${at}`);
    tokens.push(match[1] ?? match[2] ?? match[3]);
    at = TOKEN.lastIndex;
  }
  let i = 0;
  const peek = () => tokens[i];
  const expression = (): Node => {
    let left = term();
    while (peek() === '+' || peek() === '-') left = { kind: 'op', op: tokens[i++], left, right: term() };
    return left;
  };
  const term = (): Node => {
    let left = factor();
    while (peek() === '*' || peek() === '/') left = { kind: 'op', op: tokens[i++], left, right: factor() };
    return left;
  };
  const factor = (): Node => {
    const token = tokens[i++];
    if (token === undefined) throw new ExpressionError('unexpected end');
    if (token === '-') return { kind: 'neg', operand: factor() };
    if (token === '(') {
      const inner = expression();
      if (tokens[i++] !== ')') throw new ExpressionError('missing )');
      return inner;
    }
    if (/^\d/.test(token)) return { kind: 'number', value: Number(token) };
    if (/^[a-z]/.test(token)) return { kind: 'id', id: token };
    throw new ExpressionError(`unexpected ${token}`);
  };
  const tree = expression();
  if (i !== tokens.length) throw new ExpressionError(`unexpected ${tokens[i]}`);
  return tree;
}

/** The ids an expression reads. */
export function idsOf(node: Node): string[] {
  switch (node.kind) {
    case 'id':
      return [node.id];
    case 'op':
      return [...idsOf(node.left), ...idsOf(node.right)];
    case 'neg':
      return idsOf(node.operand);
    default:
      return [];
  }
}

type Value = number | Series;

export function evaluate(node: Node, series: (id: string) => Series): Series | number {
  const value = (n: Node): Value => {
    switch (n.kind) {
      case 'number':
        return n.value;
      case 'id':
        return series(n.id);
      case 'neg':
        return combine(0, value(n.operand), '-');
      case 'op':
        return combine(value(n.left), value(n.right), n.op);
    }
  };
  return value(node);
}

function apply(a: number, b: number, op: string): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    default:
      return a / b;
  }
}

function combine(a: Value, b: Value, op: string): Value {
  if (typeof a === 'number' && typeof b === 'number') return apply(a, b, op);
  if (typeof a === 'number') return { timestamps: [...(b as Series).timestamps], values: (b as Series).values.map((v) => apply(a, v, op)) };
  if (typeof b === 'number') return { timestamps: [...a.timestamps], values: a.values.map((v) => apply(v, b, op)) };
  const other = new Map(b.timestamps.map((t, i) => [t, b.values[i]]));
  const out: Series = { timestamps: [], values: [] };
  a.timestamps.forEach((t, i) => {
    const v = other.get(t);
    if (v === undefined) return;
    out.timestamps.push(t);
    out.values.push(apply(a.values[i], v, op));
  });
  return out;
}
