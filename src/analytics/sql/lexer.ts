import { createToken, Lexer, type IToken, type TokenType } from 'chevrotain';
import { SqlLexicalError, SqlParseError } from './errors.js';

/**
 * Flink SQL tokens (Calcite's lexical rules as Flink configures them: back-tick quoted identifiers, case-sensitive
 * names, case-insensitive keywords, `--` and block comments). Keywords are identifiers here; the parser tells them
 * apart, as Calcite does for its non-reserved words.
 */
const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /\s+/, group: Lexer.SKIPPED, line_breaks: true });
const LineComment = createToken({ name: 'LineComment', pattern: /--[^\n\r]*/, group: Lexer.SKIPPED });
const BlockComment = createToken({ name: 'BlockComment', pattern: /\/\*[\s\S]*?\*\//, group: Lexer.SKIPPED, line_breaks: true });
export const StringLit = createToken({ name: 'StringLit', pattern: /'(?:[^']|'')*'/, line_breaks: true });
export const QuotedIdent = createToken({ name: 'QuotedIdent', pattern: /`(?:[^`]|``)+`/ });
export const NumberLit = createToken({ name: 'NumberLit', pattern: /(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?/ });
export const Ident = createToken({ name: 'Ident', pattern: /[A-Za-z_][A-Za-z0-9_$]*/ });
export const Op = createToken({ name: 'Op', pattern: /<=|>=|<>|!=|\|\||=>|[=<>+\-*/%(),;.[\]]/ });

const allTokens: TokenType[] = [WhiteSpace, BlockComment, LineComment, StringLit, QuotedIdent, NumberLit, Ident, Op];
const sqlLexer = new Lexer(allTokens, { positionTracking: 'full', ensureOptimizations: false });

export interface Token {
  type: 'string' | 'quoted' | 'number' | 'ident' | 'op' | 'eof';
  /** Source text; for `quoted` and `string` the unescaped value. */
  text: string;
  /** Raw image as written, for error messages. */
  image: string;
  /** Upper-cased text for keyword comparisons (identifiers only). */
  upper: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  offset: number;
  endOffset: number;
}

function kindOf(t: IToken): Token['type'] {
  switch (t.tokenType) {
    case StringLit: return 'string';
    case QuotedIdent: return 'quoted';
    case NumberLit: return 'number';
    case Ident: return 'ident';
    default: return 'op';
  }
}

export function tokenize(sql: string): Token[] {
  const result = sqlLexer.tokenize(sql);
  if (result.errors.length > 0) {
    const e = result.errors[0]!;
    const ch = sql.substr(e.offset, 1);
    if (ch === "'" || ch === '`') {
      // an unterminated literal or identifier runs to the end of the script
      const lines = sql.split('\n');
      throw new SqlLexicalError(lines.length, lines[lines.length - 1]!.length + 1, sql.slice(e.offset).replace(/"/g, '\\"'));
    }
    throw new SqlParseError(`"${ch === '"' ? '\\"' : ch}"`, e.line ?? 1, e.column ?? 1);
  }
  const tokens: Token[] = result.tokens.map((t) => {
    const type = kindOf(t);
    let text = t.image;
    if (type === 'string') text = t.image.slice(1, -1).replace(/''/g, "'");
    else if (type === 'quoted') text = t.image.slice(1, -1).replace(/``/g, '`');
    return {
      type,
      text,
      image: t.image,
      upper: type === 'ident' ? t.image.toUpperCase() : t.image,
      line: t.startLine ?? 1,
      column: t.startColumn ?? 1,
      endLine: t.endLine ?? t.startLine ?? 1,
      endColumn: t.endColumn ?? t.startColumn ?? 1,
      offset: t.startOffset,
      endOffset: t.endOffset ?? t.startOffset,
    };
  });
  const lines = sql.split('\n');
  const lastLine = lines.length;
  const lastCol = lines[lines.length - 1]!.length + 1;
  tokens.push({ type: 'eof', text: '', image: '<EOF>', upper: '<EOF>', line: lastLine, column: lastCol, endLine: lastLine, endColumn: lastCol, offset: sql.length, endOffset: sql.length });
  return tokens;
}
