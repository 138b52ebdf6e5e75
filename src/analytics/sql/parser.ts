import type { ColumnDef, Expr, FromItem, InsertStatement, OrderItem, OverSpec, Query, QueryBody, Select, SelectItem, Statement } from './ast.js';
import { SqlParseError, type Span } from './errors.js';
import { tokenize, type Token } from './lexer.js';
import { DEFAULT_TIMESTAMP_PRECISION, MAX_VARCHAR_LENGTH, t, type SqlType, type TypeName } from './types.js';

/**
 * A recursive-descent parser over the chevrotain token stream for the Flink SQL subset of ANALYTICS-SPEC §5.4.
 * Hand-written rather than a chevrotain grammar class because Flink's grammar needs unbounded look-ahead in places
 * (`(` subquery vs parenthesised expression, `name type` vs `name AS expr` columns) and Calcite's exact error text.
 */

/** Calcite's reserved words that cannot be bare identifiers (those that matter for this subset). */
const RESERVED = new Set([
  'SELECT', 'FROM', 'WHERE', 'GROUP', 'BY', 'HAVING', 'ORDER', 'LIMIT', 'AS', 'ON', 'JOIN', 'INNER', 'LEFT', 'RIGHT',
  'FULL', 'OUTER', 'CROSS', 'UNION', 'AND', 'OR', 'NOT', 'CASE', 'WHEN', 'THEN', 'ELSE', 'END', 'IS', 'NULL', 'IN',
  'BETWEEN', 'LIKE', 'WITH', 'INSERT', 'INTO', 'CREATE', 'TABLE', 'VIEW', 'SET', 'VALUES', 'DISTINCT', 'ALL', 'TRUE',
  'FALSE', 'INTERVAL', 'CAST', 'OVER', 'PARTITION', 'WINDOW', 'EXISTS', 'WATERMARK', 'FOR', 'EXCEPT', 'INTERSECT',
  'OVERWRITE', 'SIMILAR', 'ESCAPE', 'LATERAL', 'NATURAL', 'USING', 'TIMESTAMP', 'DATE', 'TIME', 'UNKNOWN', 'FETCH',
  'OFFSET', 'ROWS', 'RANGE', 'PRECEDING', 'FOLLOWING', 'CURRENT', 'ROW', 'UNBOUNDED', 'DESCRIPTOR',
]);
/** Reserved words that are still callable as functions: LEFT('abc', 2), ROW(…), CURRENT_TIMESTAMP. */
const CALLABLE_RESERVED = new Set(['LEFT', 'RIGHT', 'TIMESTAMP', 'DATE', 'TIME', 'ROW', 'DESCRIPTOR', 'TRUNCATE']);
const NILADIC = new Set(['CURRENT_TIMESTAMP', 'LOCALTIMESTAMP', 'CURRENT_DATE', 'CURRENT_TIME', 'LOCALTIME']);

const TIME_UNITS: Record<string, string> = {
  MILLISECOND: 'MILLISECOND', MILLISECONDS: 'MILLISECOND', SECOND: 'SECOND', SECONDS: 'SECOND', MINUTE: 'MINUTE',
  MINUTES: 'MINUTE', HOUR: 'HOUR', HOURS: 'HOUR', DAY: 'DAY', DAYS: 'DAY', WEEK: 'WEEK', WEEKS: 'WEEK', MONTH: 'MONTH',
  MONTHS: 'MONTH', QUARTER: 'QUARTER', YEAR: 'YEAR', YEARS: 'YEAR', DOW: 'DOW', DOY: 'DOY', EPOCH: 'EPOCH',
};
export const UNIT_MS: Record<string, number> = {
  MILLISECOND: 1, SECOND: 1000, MINUTE: 60_000, HOUR: 3_600_000, DAY: 86_400_000, WEEK: 7 * 86_400_000,
};

function span(a: Token, b: Token): Span {
  return { line: a.line, column: a.column, endLine: b.endLine, endColumn: b.endColumn };
}
function join(a: Span, b: Span): Span {
  return { line: a.line, column: a.column, endLine: b.endLine, endColumn: b.endColumn };
}

export function parseScript(sql: string): Statement[] {
  return new Parser(sql).script();
}

export function parseExpression(sql: string): Expr {
  const p = new Parser(sql);
  const e = p.expr();
  p.expectEof();
  return e;
}

class Parser {
  private readonly tokens: Token[];
  private pos = 0;

  constructor(sql: string) {
    this.tokens = tokenize(sql);
  }

  // ---- token helpers ----
  private peek(k = 0): Token {
    return this.tokens[Math.min(this.pos + k, this.tokens.length - 1)]!;
  }
  private next(): Token {
    const tok = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos++;
    return tok;
  }
  private prev(): Token {
    return this.tokens[Math.max(0, this.pos - 1)]!;
  }
  private isKw(word: string, k = 0): boolean {
    const tok = this.peek(k);
    return tok.type === 'ident' && tok.upper === word;
  }
  private isOp(op: string, k = 0): boolean {
    const tok = this.peek(k);
    return tok.type === 'op' && tok.text === op;
  }
  private acceptKw(...words: string[]): boolean {
    for (let i = 0; i < words.length; i++) if (!this.isKw(words[i]!, i)) return false;
    this.pos += words.length;
    return true;
  }
  private acceptOp(op: string): boolean {
    if (!this.isOp(op)) return false;
    this.next();
    return true;
  }
  fail(expecting: string[] = []): never {
    const tok = this.peek();
    const shown = tok.type === 'eof' ? '<EOF>' : `"${tok.image.replace(/"/g, '\\"')}"`;
    throw new SqlParseError(shown, tok.line, tok.column, expecting);
  }
  private expectKw(...words: string[]): Token {
    for (const w of words) {
      if (!this.isKw(w)) this.fail([`"${w}"`]);
      this.next();
    }
    return this.prev();
  }
  private expectOp(op: string): Token {
    if (!this.isOp(op)) this.fail([`"${op}"`]);
    return this.next();
  }
  expectEof(): void {
    if (this.peek().type !== 'eof') this.fail(['<EOF>']);
  }
  /** An identifier: bare (not reserved) or back-quoted. */
  private ident(): Token {
    const tok = this.peek();
    if (tok.type === 'quoted' || (tok.type === 'ident' && !RESERVED.has(tok.upper))) return this.next();
    this.fail(['<IDENTIFIER>']);
  }
  private isIdentStart(k = 0): boolean {
    const tok = this.peek(k);
    return tok.type === 'quoted' || (tok.type === 'ident' && !RESERVED.has(tok.upper));
  }
  private compoundName(): { name: string; first: Token; last: Token } {
    const first = this.ident();
    const parts = [first.text];
    while (this.isOp('.') && (this.peek(1).type === 'ident' || this.peek(1).type === 'quoted')) {
      this.next();
      parts.push(this.next().text);
    }
    return { name: parts.join('.'), first, last: this.prev() };
  }
  private stringLit(): string {
    const tok = this.peek();
    if (tok.type !== 'string') this.fail(['<STRING>']);
    return this.next().text;
  }
  private integer(): number {
    const tok = this.peek();
    if (tok.type !== 'number' || !/^\d+$/.test(tok.text)) this.fail(['<UNSIGNED_INTEGER_LITERAL>']);
    return Number(this.next().text);
  }

  // ---- statements ----
  script(): Statement[] {
    const out: Statement[] = [];
    for (;;) {
      while (this.acceptOp(';'));
      if (this.peek().type === 'eof') break;
      out.push(this.statement());
      if (!this.acceptOp(';')) {
        if (this.peek().type !== 'eof') this.fail(['";"', '<EOF>']);
      }
    }
    return out;
  }

  private statement(): Statement {
    const start = this.peek();
    if (this.isKw('CREATE')) return this.create();
    if (this.isKw('DROP')) return this.drop();
    if (this.isKw('SET')) return this.set();
    if (this.acceptKw('RESET')) {
      const key = this.peek().type === 'string' ? this.stringLit() : this.isIdentStart() ? this.dottedKey() : undefined;
      return { kind: 'reset', key, span: span(start, this.prev()) };
    }
    if (this.acceptKw('USE')) {
      this.acceptKw('CATALOG');
      const { name } = this.compoundName();
      return { kind: 'use', name, span: span(start, this.prev()) };
    }
    if (this.isKw('EXECUTE') && this.isKw('STATEMENT', 1)) {
      this.next();
      this.expectKw('STATEMENT', 'SET', 'BEGIN');
      return this.statementSetBody(start);
    }
    if (this.isKw('BEGIN') && this.isKw('STATEMENT', 1)) {
      this.next();
      this.expectKw('STATEMENT', 'SET');
      this.expectOp(';');
      return this.statementSetBody(start);
    }
    if (this.isKw('EXECUTE') && this.isKw('INSERT', 1)) this.next();
    if (this.isKw('INSERT')) return this.insert();
    if (this.isKw('SELECT') || this.isKw('WITH') || this.isKw('VALUES') || this.isOp('(')) {
      const query = this.query();
      return { kind: 'query', query, span: query.span };
    }
    this.fail(['"CREATE"', '"INSERT"', '"SELECT"', '"SET"', '"EXECUTE"', '"BEGIN"']);
  }

  private statementSetBody(start: Token): Statement {
    const inserts: InsertStatement[] = [];
    for (;;) {
      while (this.acceptOp(';'));
      if (this.acceptKw('END')) break;
      if (!this.isKw('INSERT')) this.fail(['"INSERT"', '"END"']);
      inserts.push(this.insert());
    }
    return { kind: 'statementSet', inserts, span: span(start, this.prev()) };
  }

  private dottedKey(): string {
    let key = this.next().text;
    while (this.isOp('.') || this.isOp('-')) {
      key += this.next().text;
      key += this.next().text;
    }
    return key;
  }

  private set(): Statement {
    const start = this.expectKw('SET');
    if (this.peek().type === 'eof' || this.isOp(';')) return { kind: 'set', span: span(start, start) };
    const key = this.peek().type === 'string' ? this.stringLit() : this.dottedKey();
    this.expectOp('=');
    let value: string;
    if (this.peek().type === 'string') value = this.stringLit();
    else {
      value = '';
      while (!this.isOp(';') && this.peek().type !== 'eof') value += (value && this.peek().type !== 'op' && this.prev().type !== 'op' ? ' ' : '') + this.next().text;
    }
    return { kind: 'set', key, value, span: span(start, this.prev()) };
  }

  private drop(): Statement {
    const start = this.expectKw('DROP');
    this.acceptKw('TEMPORARY');
    let what: 'TABLE' | 'VIEW';
    if (this.acceptKw('TABLE')) what = 'TABLE';
    else if (this.acceptKw('VIEW')) what = 'VIEW';
    else this.fail(['"TABLE"', '"VIEW"']);
    const ifExists = this.acceptKw('IF', 'EXISTS');
    const { name } = this.compoundName();
    return { kind: 'drop', what, name, ifExists, span: span(start, this.prev()) };
  }

  private create(): Statement {
    const start = this.expectKw('CREATE');
    this.acceptKw('OR', 'REPLACE');
    this.acceptKw('TEMPORARY');
    this.acceptKw('SYSTEM');
    if (this.acceptKw('VIEW')) {
      const ifNotExists = this.acceptKw('IF', 'NOT', 'EXISTS');
      const { name } = this.compoundName();
      const columns: string[] = [];
      if (this.acceptOp('(')) {
        do columns.push(this.ident().text);
        while (this.acceptOp(','));
        this.expectOp(')');
      }
      this.acceptComment();
      this.expectKw('AS');
      const query = this.query();
      return { kind: 'createView', name, ifNotExists, columns, query, span: span(start, this.prev()) };
    }
    if (!this.isKw('TABLE')) this.fail(['"TABLE"', '"VIEW"']);
    this.next();
    const ifNotExists = this.acceptKw('IF', 'NOT', 'EXISTS');
    const { name } = this.compoundName();
    const columns: ColumnDef[] = [];
    let watermark: { column: string; expr: Expr; span: Span } | undefined;
    let primaryKey: string[] = [];
    if (this.acceptOp('(')) {
      do {
        const itemStart = this.peek();
        if (this.acceptKw('WATERMARK')) {
          this.expectKw('FOR');
          const column = this.compoundName().name;
          this.expectKw('AS');
          const expr = this.expr();
          watermark = { column, expr, span: span(itemStart, this.prev()) };
        } else if (this.isKw('PRIMARY') || this.isKw('CONSTRAINT')) {
          if (this.acceptKw('CONSTRAINT')) this.ident();
          this.expectKw('PRIMARY', 'KEY');
          this.expectOp('(');
          primaryKey = [];
          do primaryKey.push(this.ident().text);
          while (this.acceptOp(','));
          this.expectOp(')');
          this.acceptKw('NOT', 'ENFORCED');
        } else {
          columns.push(this.columnDef());
        }
      } while (this.acceptOp(','));
      this.expectOp(')');
    }
    this.acceptComment();
    const partitionedBy: string[] = [];
    if (this.acceptKw('PARTITIONED', 'BY')) {
      this.expectOp('(');
      do partitionedBy.push(this.ident().text);
      while (this.acceptOp(','));
      this.expectOp(')');
    }
    const options: Record<string, string> = {};
    if (this.acceptKw('WITH')) {
      this.expectOp('(');
      if (!this.isOp(')')) {
        do {
          const key = this.stringLit();
          this.expectOp('=');
          options[key] = this.stringLit();
        } while (this.acceptOp(','));
      }
      this.expectOp(')');
    }
    let likeTable: string | undefined;
    if (this.acceptKw('LIKE')) {
      likeTable = this.compoundName().name;
      if (this.acceptOp('(')) {
        while (!this.isOp(')') && this.peek().type !== 'eof') this.next();
        this.expectOp(')');
      }
    }
    return { kind: 'createTable', name, ifNotExists, columns, watermark, primaryKey, partitionedBy, options, likeTable, span: span(start, this.prev()) };
  }

  private acceptComment(): void {
    if (this.acceptKw('COMMENT')) this.stringLit();
  }

  private columnDef(): ColumnDef {
    const nameTok = this.ident();
    if (this.acceptKw('AS')) {
      const expr = this.expr();
      this.acceptComment();
      return { kind: 'computed', name: nameTok.text, expr, span: span(nameTok, this.prev()) };
    }
    const type = this.dataType();
    if (this.acceptKw('METADATA')) {
      let key: string | undefined;
      if (this.acceptKw('FROM')) key = this.stringLit();
      const virtual = this.acceptKw('VIRTUAL');
      this.acceptComment();
      return { kind: 'metadata', name: nameTok.text, type, key, virtual, span: span(nameTok, this.prev()) };
    }
    this.acceptComment();
    return { kind: 'physical', name: nameTok.text, type, span: span(nameTok, this.prev()) };
  }

  dataType(): SqlType {
    const tok = this.peek();
    if (tok.type !== 'ident') this.fail(['<DATA TYPE>']);
    const word = this.next().upper;
    let ty: SqlType;
    const optPrecision = (): number | undefined => {
      if (!this.acceptOp('(')) return undefined;
      const p = this.integer();
      this.expectOp(')');
      return p;
    };
    switch (word) {
      case 'STRING': ty = t('VARCHAR', { precision: MAX_VARCHAR_LENGTH }); break;
      case 'VARCHAR': ty = t('VARCHAR', { precision: optPrecision() ?? 1 }); break;
      case 'CHAR': case 'CHARACTER':
        if (this.acceptKw('VARYING')) ty = t('VARCHAR', { precision: optPrecision() ?? 1 });
        else ty = t('CHAR', { precision: optPrecision() ?? 1 });
        break;
      case 'BOOLEAN': case 'BOOL': ty = t('BOOLEAN'); break;
      case 'TINYINT': ty = t('TINYINT'); break;
      case 'SMALLINT': ty = t('SMALLINT'); break;
      case 'INT': case 'INTEGER': ty = t('INT'); break;
      case 'BIGINT': ty = t('BIGINT'); break;
      case 'FLOAT': case 'REAL': ty = t('FLOAT'); break;
      case 'DOUBLE': this.acceptKw('PRECISION'); ty = t('DOUBLE'); break;
      case 'DECIMAL': case 'DEC': case 'NUMERIC': {
        let precision = 10;
        let scale = 0;
        if (this.acceptOp('(')) {
          precision = this.integer();
          if (this.acceptOp(',')) scale = this.integer();
          this.expectOp(')');
        }
        ty = t('DECIMAL', { precision, scale });
        break;
      }
      case 'DATE': ty = t('DATE'); break;
      case 'TIME': ty = t('TIME', { precision: optPrecision() ?? 0 }); this.acceptKw('WITHOUT', 'TIME', 'ZONE'); break;
      case 'TIMESTAMP': {
        const precision = optPrecision() ?? DEFAULT_TIMESTAMP_PRECISION;
        if (this.acceptKw('WITH', 'LOCAL', 'TIME', 'ZONE')) ty = t('TIMESTAMP_LTZ', { precision });
        else {
          this.acceptKw('WITHOUT', 'TIME', 'ZONE');
          ty = t('TIMESTAMP', { precision });
        }
        break;
      }
      case 'TIMESTAMP_LTZ': ty = t('TIMESTAMP_LTZ', { precision: optPrecision() ?? DEFAULT_TIMESTAMP_PRECISION }); break;
      case 'BYTES': ty = t('VARBINARY', { precision: MAX_VARCHAR_LENGTH }); break;
      case 'BINARY': ty = t('BINARY', { precision: optPrecision() ?? 1 }); break;
      case 'VARBINARY': ty = t('VARBINARY', { precision: optPrecision() ?? 1 }); break;
      case 'ARRAY': {
        this.expectOp('<');
        const element = this.dataType();
        this.expectOp('>');
        ty = t('ARRAY', { element });
        break;
      }
      case 'MAP': {
        this.expectOp('<');
        const key = this.dataType();
        this.expectOp(',');
        const element = this.dataType();
        this.expectOp('>');
        ty = t('MAP', { key, element });
        break;
      }
      case 'ROW': {
        const close = this.acceptOp('<') ? '>' : (this.expectOp('('), ')');
        const fields: { name: string; type: SqlType }[] = [];
        if (!this.isOp(close)) {
          do {
            const name = this.ident().text;
            fields.push({ name, type: this.dataType() });
            if (this.peek().type === 'string') this.next();
          } while (this.acceptOp(','));
        }
        this.expectOp(close);
        ty = t('ROW', { fields });
        break;
      }
      default:
        this.pos--;
        this.fail(['<DATA TYPE>']);
    }
    if (this.acceptKw('NOT', 'NULL')) ty = { ...ty, nullable: false };
    else this.acceptKw('NULL');
    while (this.acceptKw('ARRAY')) ty = t('ARRAY', { element: ty });
    return ty;
  }

  private insert(): InsertStatement {
    const start = this.next();
    const overwrite = this.acceptKw('OVERWRITE');
    if (!overwrite) this.expectKw('INTO');
    const { name, first, last } = this.compoundName();
    const tableSpan = span(first, last);
    if (this.isKw('PARTITION')) {
      this.next();
      this.expectOp('(');
      while (!this.isOp(')') && this.peek().type !== 'eof') this.next();
      this.expectOp(')');
    }
    const columns: string[] = [];
    if (this.isOp('(') && this.isIdentStart(1) && (this.isOp(',', 2) || this.isOp(')', 2))) {
      this.next();
      do columns.push(this.ident().text);
      while (this.acceptOp(','));
      this.expectOp(')');
    }
    const query = this.query();
    return { kind: 'insert', table: name, tableSpan, overwrite, columns, query, span: span(start, this.prev()) };
  }

  // ---- queries ----
  query(): Query {
    const start = this.peek();
    const withs: Query['with'] = [];
    if (this.acceptKw('WITH')) {
      do {
        const nameTok = this.ident();
        this.expectKw('AS');
        this.expectOp('(');
        const q = this.query();
        this.expectOp(')');
        withs.push({ name: nameTok.text, query: q, span: span(nameTok, this.prev()) });
      } while (this.acceptOp(','));
    }
    let body = this.queryTerm();
    while (this.isKw('UNION')) {
      this.next();
      const all = this.acceptKw('ALL');
      if (!all) this.acceptKw('DISTINCT');
      const right = this.queryTerm();
      body = { kind: 'union', all, left: body, right, span: join(body.span, right.span) };
    }
    let orderBy: OrderItem[] = [];
    let limit: number | undefined;
    if (this.acceptKw('ORDER', 'BY')) orderBy = this.orderList();
    if (this.acceptKw('LIMIT')) limit = this.integer();
    if ((orderBy.length > 0 || limit !== undefined) && body.kind === 'select') {
      if (orderBy.length > 0) body.orderBy = orderBy;
      if (limit !== undefined) body.limit = limit;
    }
    return { with: withs, body, span: span(start, this.prev()) };
  }

  private queryTerm(): QueryBody {
    if (this.isOp('(')) {
      this.next();
      const q = this.query();
      this.expectOp(')');
      if (q.with.length > 0) return { kind: 'select', distinct: false, items: [{ expr: { kind: 'star', span: q.span }, span: q.span }], from: { kind: 'subquery', query: q, span: q.span }, groupBy: [], windows: {}, orderBy: [], span: q.span };
      return q.body;
    }
    if (this.isKw('VALUES')) {
      const start = this.next();
      const rows: Expr[][] = [];
      do {
        this.expectOp('(');
        const row: Expr[] = [];
        do row.push(this.expr());
        while (this.acceptOp(','));
        this.expectOp(')');
        rows.push(row);
      } while (this.acceptOp(','));
      return { kind: 'values', rows, span: span(start, this.prev()) };
    }
    return this.select();
  }

  private select(): Select {
    const start = this.expectKw('SELECT');
    let distinct = false;
    if (this.acceptKw('DISTINCT')) distinct = true;
    else this.acceptKw('ALL');
    const items: SelectItem[] = [];
    do {
      const itemStart = this.peek();
      const expr = this.expr();
      let alias: string | undefined;
      if (this.acceptKw('AS')) alias = this.ident().text;
      else if (this.isIdentStart()) alias = this.next().text;
      items.push({ expr, alias, span: span(itemStart, this.prev()) });
    } while (this.acceptOp(','));
    let from: FromItem | undefined;
    if (this.acceptKw('FROM')) from = this.fromList();
    let where: Expr | undefined;
    if (this.acceptKw('WHERE')) where = this.expr();
    let groupBy: Expr[] = [];
    if (this.acceptKw('GROUP', 'BY')) {
      groupBy = [];
      do groupBy.push(this.expr());
      while (this.acceptOp(','));
    }
    let having: Expr | undefined;
    if (this.acceptKw('HAVING')) having = this.expr();
    const windows: Record<string, OverSpec> = {};
    if (this.acceptKw('WINDOW')) {
      do {
        const name = this.ident().text;
        this.expectKw('AS');
        windows[name] = this.overSpec();
      } while (this.acceptOp(','));
    }
    return { kind: 'select', distinct, items, from, where, groupBy, having, windows, orderBy: [], span: span(start, this.prev()) };
  }

  private orderList(): OrderItem[] {
    const out: OrderItem[] = [];
    do {
      const expr = this.expr();
      let desc = false;
      if (this.acceptKw('DESC')) desc = true;
      else this.acceptKw('ASC');
      if (this.acceptKw('NULLS')) {
        if (!this.acceptKw('FIRST')) this.expectKw('LAST');
      }
      out.push({ expr, desc });
    } while (this.acceptOp(','));
    return out;
  }

  private fromList(): FromItem {
    let left = this.joinChain();
    while (this.acceptOp(',')) {
      const right = this.joinChain();
      left = { kind: 'join', joinType: 'CROSS', left, right, span: join(left.span, right.span) };
    }
    return left;
  }

  private joinChain(): FromItem {
    let left = this.fromPrimary();
    for (;;) {
      let joinType: 'INNER' | 'LEFT' | 'RIGHT' | 'FULL' | 'CROSS';
      if (this.acceptKw('JOIN') || this.acceptKw('INNER', 'JOIN')) joinType = 'INNER';
      else if (this.acceptKw('LEFT', 'JOIN') || this.acceptKw('LEFT', 'OUTER', 'JOIN')) joinType = 'LEFT';
      else if (this.acceptKw('RIGHT', 'JOIN') || this.acceptKw('RIGHT', 'OUTER', 'JOIN')) joinType = 'RIGHT';
      else if (this.acceptKw('FULL', 'JOIN') || this.acceptKw('FULL', 'OUTER', 'JOIN')) joinType = 'FULL';
      else if (this.acceptKw('CROSS', 'JOIN')) joinType = 'CROSS';
      else return left;
      const right = this.fromPrimary();
      let on: Expr | undefined;
      if (joinType !== 'CROSS') {
        this.expectKw('ON');
        on = this.expr();
      }
      left = { kind: 'join', joinType, left, right, on, span: join(left.span, right.span) };
    }
  }

  private alias(): string | undefined {
    if (this.acceptKw('AS')) return this.ident().text;
    if (this.isIdentStart()) return this.next().text;
    return undefined;
  }

  private fromPrimary(): FromItem {
    const start = this.peek();
    if (this.isKw('TABLE') && this.isOp('(', 1)) {
      this.next();
      this.next();
      const nameTok = this.next();
      if (nameTok.type !== 'ident') this.fail(['<IDENTIFIER>']);
      this.expectOp('(');
      const args: Expr[] = [];
      if (!this.isOp(')')) {
        do args.push(this.tvfArg());
        while (this.acceptOp(','));
      }
      this.expectOp(')');
      this.expectOp(')');
      const s = span(start, this.prev());
      const alias = this.alias();
      return { kind: 'tvf', name: nameTok.upper, args, alias, span: s };
    }
    if (this.isOp('(')) {
      this.next();
      if (this.isKw('SELECT') || this.isKw('WITH') || this.isKw('VALUES') || this.isOp('(')) {
        const query = this.query();
        this.expectOp(')');
        const s = span(start, this.prev());
        return { kind: 'subquery', query, alias: this.alias(), span: s };
      }
      const inner = this.fromList();
      this.expectOp(')');
      return inner;
    }
    const { name, first, last } = this.compoundName();
    if (this.isKw('FOR') && this.isKw('SYSTEM_TIME', 1)) this.fail(['<EOF>']);
    return { kind: 'table', name, alias: this.alias(), span: span(first, last) };
  }

  private tvfArg(): Expr {
    const start = this.peek();
    if (this.isIdentStart() && this.isOp('=>', 1)) {
      const name = this.next().upper;
      this.next();
      const value = this.tvfArg();
      return { kind: 'named', name, value, span: span(start, this.prev()) };
    }
    if (this.acceptKw('TABLE')) {
      const { name, first, last } = this.compoundName();
      const from: FromItem = { kind: 'table', name, span: span(first, last) };
      const partitionBy: Expr[] = [];
      if (this.acceptKw('PARTITION', 'BY')) {
        // PARTITION BY k (one column) or PARTITION BY (k1, k2): a bare comma ends the TABLE argument
        if (this.acceptOp('(')) {
          do partitionBy.push(this.expr());
          while (this.acceptOp(','));
          this.expectOp(')');
        } else partitionBy.push(this.expr());
      }
      return { kind: 'tableArg', from, partitionBy, span: span(start, this.prev()) };
    }
    return this.expr();
  }

  private overSpec(): OverSpec {
    const start = this.expectOp('(');
    const partitionBy: Expr[] = [];
    let orderBy: OrderItem[] = [];
    let frame: OverSpec['frame'];
    if (this.acceptKw('PARTITION', 'BY')) {
      do partitionBy.push(this.expr());
      while (this.acceptOp(','));
    }
    if (this.acceptKw('ORDER', 'BY')) orderBy = this.orderList();
    if (this.isKw('ROWS') || this.isKw('RANGE')) {
      const unitTok = this.next();
      const unit = unitTok.upper as 'ROWS' | 'RANGE';
      const between = this.acceptKw('BETWEEN');
      let preceding: Expr | 'UNBOUNDED';
      if (this.acceptKw('UNBOUNDED')) preceding = 'UNBOUNDED';
      else if (this.isKw('CURRENT')) preceding = { kind: 'literal', value: 0, type: t('INT'), span: span(this.peek(), this.peek()) };
      else preceding = this.additive();
      if (this.isKw('CURRENT')) this.expectKw('CURRENT', 'ROW');
      else this.expectKw('PRECEDING');
      if (between) {
        this.expectKw('AND');
        this.expectKw('CURRENT', 'ROW');
      }
      frame = { unit, preceding, span: span(unitTok, this.prev()) };
    }
    this.expectOp(')');
    return { partitionBy, orderBy, frame, span: span(start, this.prev()) };
  }

  // ---- expressions ----
  expr(): Expr {
    return this.or();
  }
  private or(): Expr {
    let left = this.and();
    while (this.acceptKw('OR')) {
      const right = this.and();
      left = { kind: 'binary', op: 'OR', left, right, span: join(left.span, right.span) };
    }
    return left;
  }
  private and(): Expr {
    let left = this.not();
    while (this.acceptKw('AND')) {
      const right = this.not();
      left = { kind: 'binary', op: 'AND', left, right, span: join(left.span, right.span) };
    }
    return left;
  }
  private not(): Expr {
    if (this.isKw('NOT')) {
      const start = this.next();
      const arg = this.not();
      return { kind: 'unary', op: 'NOT', arg, span: join(span(start, start), arg.span) };
    }
    return this.predicate();
  }
  private predicate(): Expr {
    const left = this.additive();
    for (;;) {
      const tok = this.peek();
      if (tok.type === 'op' && ['=', '<>', '!=', '<', '>', '<=', '>='].includes(tok.text)) {
        this.next();
        const right = this.additive();
        return { kind: 'binary', op: tok.text === '!=' ? '<>' : tok.text, left, right, span: join(left.span, right.span) };
      }
      if (this.isKw('IS')) {
        this.next();
        const not = this.acceptKw('NOT');
        if (this.acceptKw('NULL')) return { kind: 'isNull', arg: left, not, span: join(left.span, span(this.prev(), this.prev())) };
        if (this.acceptKw('TRUE')) return { kind: 'isBool', arg: left, value: true, not, span: join(left.span, span(this.prev(), this.prev())) };
        if (this.acceptKw('FALSE')) return { kind: 'isBool', arg: left, value: false, not, span: join(left.span, span(this.prev(), this.prev())) };
        if (this.acceptKw('DISTINCT', 'FROM')) {
          const right = this.additive();
          return { kind: 'binary', op: not ? 'IS NOT DISTINCT FROM' : 'IS DISTINCT FROM', left, right, span: join(left.span, right.span) };
        }
        this.fail(['"NULL"', '"TRUE"', '"FALSE"', '"DISTINCT"']);
      }
      const not = this.isKw('NOT') && (this.isKw('BETWEEN', 1) || this.isKw('IN', 1) || this.isKw('LIKE', 1) || this.isKw('SIMILAR', 1));
      if (not) this.next();
      if (this.acceptKw('BETWEEN')) {
        this.acceptKw('ASYMMETRIC');
        const low = this.additive();
        this.expectKw('AND');
        const high = this.additive();
        return { kind: 'between', arg: left, low, high, not, span: join(left.span, high.span) };
      }
      if (this.acceptKw('IN')) {
        this.expectOp('(');
        const list: Expr[] = [];
        do list.push(this.expr());
        while (this.acceptOp(','));
        const end = this.expectOp(')');
        return { kind: 'in', arg: left, list, not, span: join(left.span, span(end, end)) };
      }
      if (this.acceptKw('LIKE') || this.acceptKw('SIMILAR', 'TO')) {
        const similar = this.prev().upper === 'TO';
        const pattern = this.additive();
        if (this.acceptKw('ESCAPE')) this.additive();
        return { kind: 'like', arg: left, pattern, not, similar, span: join(left.span, pattern.span) };
      }
      return left;
    }
  }
  private additive(): Expr {
    let left = this.multiplicative();
    for (;;) {
      if (this.isOp('+') || this.isOp('-') || this.isOp('||')) {
        const op = this.next().text;
        const right = this.multiplicative();
        left = { kind: 'binary', op, left, right, span: join(left.span, right.span) };
      } else return left;
    }
  }
  private multiplicative(): Expr {
    let left = this.unary();
    for (;;) {
      if (this.isOp('*') || this.isOp('/') || this.isOp('%')) {
        const op = this.next().text;
        const right = this.unary();
        left = { kind: 'binary', op, left, right, span: join(left.span, right.span) };
      } else return left;
    }
  }
  private unary(): Expr {
    if (this.isOp('-') || this.isOp('+')) {
      const start = this.next();
      const arg = this.unary();
      if (arg.kind === 'literal' && typeof arg.value === 'number' && start.text === '-') return { ...arg, value: -arg.value, span: join(span(start, start), arg.span) };
      return { kind: 'unary', op: start.text as '-' | '+', arg, span: join(span(start, start), arg.span) };
    }
    return this.postfix();
  }
  private postfix(): Expr {
    let e = this.primary();
    for (;;) {
      if (this.isOp('[')) {
        this.next();
        const index = this.expr();
        const end = this.expectOp(']');
        e = { kind: 'subscript', arg: e, index, span: join(e.span, span(end, end)) };
      } else if (this.isOp('.') && e.kind !== 'ident' && (this.peek(1).type === 'ident' || this.peek(1).type === 'quoted')) {
        this.next();
        const f = this.next();
        e = { kind: 'subscript', arg: e, index: { kind: 'literal', value: f.text, type: t('VARCHAR', { precision: f.text.length }), span: span(f, f) }, span: join(e.span, span(f, f)) };
      } else return e;
    }
  }

  private interval(start: Token): Expr {
    const valueTok = this.peek();
    let sign = 1;
    if (this.acceptOp('-')) sign = -1;
    let text: string;
    if (this.peek().type === 'string') text = this.stringLit();
    else if (this.peek().type === 'number') text = this.next().text;
    else this.fail(['<STRING>']);
    const unitTok = this.next();
    const unit = TIME_UNITS[unitTok.upper];
    if (!unit) {
      this.pos--;
      this.fail(['"SECOND"', '"MINUTE"', '"HOUR"', '"DAY"', '"MONTH"', '"YEAR"']);
    }
    if (this.isOp('(')) { this.next(); this.integer(); this.expectOp(')'); }
    let toUnit: string | undefined;
    if (this.acceptKw('TO')) {
      toUnit = TIME_UNITS[this.next().upper];
      if (this.isOp('(')) { this.next(); this.integer(); this.expectOp(')'); }
    }
    const s = span(start, this.prev());
    if (text.startsWith('-')) { sign = -sign; text = text.slice(1); }
    if (unit === 'YEAR' || unit === 'MONTH') {
      let months: number;
      if (toUnit === 'MONTH') {
        const [y, m] = text.split('-').map(Number);
        months = (y ?? 0) * 12 + (m ?? 0);
      } else months = Number(text) * (unit === 'YEAR' ? 12 : 1);
      if (!Number.isFinite(months)) throw new SqlParseError(`"${text}"`, valueTok.line, valueTok.column);
      return { kind: 'literal', value: sign * months, type: t('INTERVAL_YEAR_MONTH', { nullable: false }), span: s };
    }
    let ms: number;
    if (toUnit) {
      // e.g. INTERVAL '1 02:03:04.5' DAY TO SECOND, '1:30' HOUR TO MINUTE
      const order = ['DAY', 'HOUR', 'MINUTE', 'SECOND'];
      const parts = text.split(/[ :]/).map(Number);
      const units = order.slice(order.indexOf(unit), order.indexOf(toUnit) + 1);
      ms = 0;
      units.forEach((u, i) => { ms += (parts[i] ?? 0) * UNIT_MS[u]!; });
    } else ms = Number(text) * (UNIT_MS[unit] ?? NaN);
    if (!Number.isFinite(ms)) throw new SqlParseError(`"${text}"`, valueTok.line, valueTok.column);
    return { kind: 'literal', value: sign * Math.round(ms), type: t('INTERVAL_DAY_TIME', { nullable: false }), span: s };
  }

  private primary(): Expr {
    const tok = this.peek();
    if (tok.type === 'number') {
      this.next();
      const s = span(tok, tok);
      if (/[eE]/.test(tok.text)) return { kind: 'literal', value: Number(tok.text), type: t('DOUBLE', { nullable: false }), span: s };
      if (tok.text.includes('.')) {
        const [i, f = ''] = tok.text.split('.');
        return { kind: 'literal', value: Number(tok.text), type: t('DECIMAL', { precision: Math.max(1, (i ?? '').replace(/^0+/, '').length + f.length), scale: f.length, nullable: false }), span: s };
      }
      const n = Number(tok.text);
      return { kind: 'literal', value: n, type: t(n > 2147483647 ? 'BIGINT' : 'INT', { nullable: false }), span: s };
    }
    if (tok.type === 'string') {
      this.next();
      let value = tok.text;
      while (this.peek().type === 'string') value += this.next().text; // adjacent literals concatenate
      return { kind: 'literal', value, type: t('CHAR', { precision: value.length, nullable: false }), span: span(tok, this.prev()) };
    }
    if (tok.type === 'op' && tok.text === '(') {
      this.next();
      if (this.isKw('SELECT') || this.isKw('WITH')) {
        const query = this.query();
        const end = this.expectOp(')');
        return { kind: 'scalarQuery', query, span: span(tok, end) };
      }
      const e = this.expr();
      if (this.isOp(',')) {
        // row constructor (a, b)
        const args = [e];
        while (this.acceptOp(',')) args.push(this.expr());
        const end = this.expectOp(')');
        return { kind: 'call', name: 'ROW', args, distinct: false, countStar: false, span: span(tok, end) };
      }
      this.expectOp(')');
      return e;
    }
    if (tok.type === 'op' && tok.text === '*') {
      this.next();
      return { kind: 'star', span: span(tok, tok) };
    }
    if (tok.type === 'quoted') return this.identOrCall();
    if (tok.type !== 'ident') this.fail(['<IDENTIFIER>', '<LITERAL>', '"("']);
    switch (tok.upper) {
      case 'NULL': this.next(); return { kind: 'literal', value: null, type: t('NULL'), span: span(tok, tok) };
      case 'TRUE': case 'FALSE': this.next(); return { kind: 'literal', value: tok.upper === 'TRUE', type: t('BOOLEAN', { nullable: false }), span: span(tok, tok) };
      case 'INTERVAL': this.next(); return this.interval(tok);
      case 'CASE': return this.caseExpr();
      case 'CAST': case 'TRY_CAST': {
        this.next();
        this.expectOp('(');
        const arg = this.expr();
        this.expectKw('AS');
        const type = this.dataType();
        const end = this.expectOp(')');
        return { kind: 'cast', arg, type, safe: tok.upper === 'TRY_CAST', span: span(tok, end) };
      }
      case 'TIMESTAMP': case 'DATE': case 'TIME': case 'TIMESTAMP_LTZ':
        if (this.peek(1).type === 'string') {
          this.next();
          const lit = this.next();
          return { kind: 'call', name: `${tok.upper}_LITERAL`, args: [{ kind: 'literal', value: lit.text, type: t('VARCHAR', { precision: lit.text.length, nullable: false }), span: span(lit, lit) }], distinct: false, countStar: false, span: span(tok, lit) };
        }
        break;
      case 'EXTRACT': if (this.isOp('(', 1)) {
        this.next();
        this.next();
        const unit = TIME_UNITS[this.next().upper];
        if (!unit) { this.pos--; this.fail(['"YEAR"', '"MONTH"', '"DAY"', '"HOUR"', '"MINUTE"', '"SECOND"']); }
        this.expectKw('FROM');
        const arg = this.expr();
        const end = this.expectOp(')');
        return { kind: 'timeUnitCall', name: 'EXTRACT', unit, args: [arg], span: span(tok, end) };
      }
        break;
      case 'FLOOR': case 'CEIL': case 'CEILING': if (this.isOp('(', 1)) {
        this.next();
        this.next();
        const arg = this.expr();
        if (this.acceptKw('TO')) {
          const unitTok = this.next();
          const unit = TIME_UNITS[unitTok.upper];
          if (!unit) { this.pos--; this.fail(['"SECOND"', '"MINUTE"', '"HOUR"', '"DAY"']); }
          const end = this.expectOp(')');
          return { kind: 'timeUnitCall', name: tok.upper === 'FLOOR' ? 'FLOOR' : 'CEIL', unit, args: [arg], span: span(tok, end) };
        }
        const end = this.expectOp(')');
        return { kind: 'call', name: tok.upper === 'FLOOR' ? 'FLOOR' : 'CEIL', args: [arg], distinct: false, countStar: false, span: span(tok, end) };
      }
        break;
      case 'TIMESTAMPADD': case 'TIMESTAMPDIFF': if (this.isOp('(', 1)) {
        this.next();
        this.next();
        const unit = TIME_UNITS[this.next().upper];
        if (!unit) { this.pos--; this.fail(['"SECOND"', '"MINUTE"', '"HOUR"', '"DAY"']); }
        this.expectOp(',');
        const a = this.expr();
        this.expectOp(',');
        const b = this.expr();
        const end = this.expectOp(')');
        return { kind: 'timeUnitCall', name: tok.upper, unit, args: [a, b], span: span(tok, end) };
      }
        break;
      case 'POSITION': if (this.isOp('(', 1)) {
        this.next();
        this.next();
        const needle = this.additive();
        this.expectKw('IN');
        const hay = this.expr();
        const end = this.expectOp(')');
        return { kind: 'call', name: 'POSITION', args: [needle, hay], distinct: false, countStar: false, span: span(tok, end) };
      }
        break;
      case 'TRIM': if (this.isOp('(', 1)) {
        this.next();
        this.next();
        let mode = 'BOTH';
        if (this.isKw('BOTH') || this.isKw('LEADING') || this.isKw('TRAILING')) mode = this.next().upper;
        let chars: Expr = { kind: 'literal', value: ' ', type: t('CHAR', { precision: 1 }), span: span(tok, tok) };
        let arg: Expr;
        if (this.acceptKw('FROM')) arg = this.expr();
        else {
          const first = this.expr();
          if (this.acceptKw('FROM')) { chars = first; arg = this.expr(); } else arg = first;
        }
        const end = this.expectOp(')');
        return { kind: 'call', name: `TRIM_${mode}`, args: [arg, chars], distinct: false, countStar: false, span: span(tok, end) };
      }
        break;
      case 'SUBSTRING': if (this.isOp('(', 1)) {
        this.next();
        this.next();
        const arg = this.expr();
        const args = [arg];
        if (this.acceptKw('FROM')) {
          args.push(this.expr());
          if (this.acceptKw('FOR')) args.push(this.expr());
        } else while (this.acceptOp(',')) args.push(this.expr());
        const end = this.expectOp(')');
        return { kind: 'call', name: 'SUBSTRING', args, distinct: false, countStar: false, span: span(tok, end) };
      }
        break;
      case 'DESCRIPTOR': if (this.isOp('(', 1)) {
        this.next();
        this.next();
        const columns: { name: string; span: Span }[] = [];
        do {
          const c = this.ident();
          columns.push({ name: c.text, span: span(c, c) });
        } while (this.acceptOp(','));
        const end = this.expectOp(')');
        return { kind: 'descriptor', columns, span: span(tok, end) };
      }
        break;
    }
    if (NILADIC.has(tok.upper) && !this.isOp('(', 1)) {
      this.next();
      return { kind: 'call', name: tok.upper, args: [], distinct: false, countStar: false, span: span(tok, tok) };
    }
    if (RESERVED.has(tok.upper) && !(CALLABLE_RESERVED.has(tok.upper) && this.isOp('(', 1))) this.fail(['<IDENTIFIER>', '<LITERAL>']);
    return this.identOrCall();
  }

  private identOrCall(): Expr {
    const first = this.next();
    if (this.isOp('(') && first.type === 'ident') {
      this.next();
      const name = first.upper;
      let distinct = false;
      let countStar = false;
      const args: Expr[] = [];
      if (this.isOp('*') && this.isOp(')', 1)) {
        this.next();
        countStar = true;
      } else if (!this.isOp(')')) {
        if (this.acceptKw('DISTINCT')) distinct = true;
        else this.acceptKw('ALL');
        do args.push(this.tvfArg());
        while (this.acceptOp(','));
        if (name === 'JSON_VALUE' || name === 'JSON_QUERY') this.jsonClauses(args);
      }
      let end = this.expectOp(')');
      let over: OverSpec | string | undefined;
      if (this.acceptKw('OVER')) {
        if (this.isOp('(')) over = this.overSpec();
        else over = this.ident().text;
        end = this.prev();
      }
      return { kind: 'call', name, args, distinct, countStar, over, span: span(first, end) };
    }
    const parts = [first.text];
    let last = first;
    while (this.isOp('.')) {
      if (this.peek(1).type === 'ident' || this.peek(1).type === 'quoted') {
        this.next();
        last = this.next();
        parts.push(last.text);
      } else if (this.isOp('*', 1)) {
        this.next();
        last = this.next();
        return { kind: 'star', qualifier: parts.join('.'), span: span(first, last) };
      } else break;
    }
    return { kind: 'ident', parts, span: span(first, last) };
  }

  /** JSON_VALUE(x, path [RETURNING type] [{NULL|ERROR|DEFAULT e} ON {EMPTY|ERROR}]…): RETURNING kept as a CAST. */
  private jsonClauses(args: Expr[]): void {
    for (;;) {
      if (this.acceptKw('RETURNING')) {
        const type = this.dataType();
        args.push({ kind: 'cast', arg: { kind: 'literal', value: null, type: t('NULL'), span: args[0]!.span }, type, safe: true, span: args[0]!.span });
      } else if (this.isKw('NULL') || this.isKw('ERROR') || this.isKw('DEFAULT') || this.isKw('WITHOUT') || this.isKw('WITH') || this.isKw('EMPTY')) {
        while (!this.isKw('ON') && !this.isOp(')') && this.peek().type !== 'eof') this.next();
        if (this.acceptKw('ON')) this.next();
      } else return;
    }
  }

  private caseExpr(): Expr {
    const start = this.expectKw('CASE');
    let operand: Expr | undefined;
    if (!this.isKw('WHEN')) operand = this.expr();
    const whens: { when: Expr; then: Expr }[] = [];
    while (this.acceptKw('WHEN')) {
      const when = this.expr();
      this.expectKw('THEN');
      whens.push({ when, then: this.expr() });
    }
    if (whens.length === 0) this.fail(['"WHEN"']);
    let otherwise: Expr | undefined;
    if (this.acceptKw('ELSE')) otherwise = this.expr();
    const end = this.expectKw('END');
    return { kind: 'case', operand, whens, otherwise, span: span(start, end) };
  }
}
