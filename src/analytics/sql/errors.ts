/**
 * Errors with the texts Flink (Calcite underneath) reports, so a failed job shows users what Flink would.
 * Parse errors: `SQL parse failed. Encountered "X" at line L, column C.`; validation errors:
 * `SQL validation failed. From line L, column C to line L2, column C2: …` (Calcite's positions are 1-based, end inclusive).
 */
export interface Span {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** Every error the engine raises: the job author's mistake, named, never a crash. */
export class FlinkSqlError extends Error {
  /** Flink's exception class, as its log shows it. */
  readonly flinkClass: string;
  constructor(flinkClass: string, message: string) {
    super(message);
    this.flinkClass = flinkClass;
    this.name = 'FlinkSqlError';
  }
}

export class SqlParseError extends FlinkSqlError {
  readonly line: number;
  readonly column: number;
  constructor(encountered: string, line: number, column: number, expecting: string[] = []) {
    const head = `SQL parse failed. Encountered ${encountered} at line ${line}, column ${column}.`;
    const tail = expecting.length > 0 ? `\nWas expecting one of:\n${expecting.map((e) => `    ${e} ...`).join('\n')}` : '';
    super('org.apache.flink.table.api.SqlParserException', head + tail);
    this.line = line;
    this.column = column;
  }
}

/** Calcite's lexer error, e.g. an unterminated string literal. */
export class SqlLexicalError extends FlinkSqlError {
  constructor(line: number, column: number, after: string) {
    super('org.apache.flink.table.api.SqlParserException', `SQL parse failed. Lexical error at line ${line}, column ${column}.  Encountered: <EOF> after : "${after}"`);
  }
}

export class SqlValidationError extends FlinkSqlError {
  readonly span: Span | undefined;
  constructor(message: string, span?: Span) {
    const where = span
      ? `From line ${span.line}, column ${span.column} to line ${span.endLine}, column ${span.endColumn}: `
      : '';
    super('org.apache.flink.table.api.ValidationException', `SQL validation failed. ${where}${message}`);
    this.span = span;
  }
}

/** Errors Flink raises outside Calcite's validator (planner, factories, sinks): no "SQL validation failed." prefix. */
export class TableError extends FlinkSqlError {
  constructor(message: string, flinkClass = 'org.apache.flink.table.api.ValidationException') {
    super(flinkClass, message);
  }
}

/** A construct the engine does not run: named, so the operation's ErrorInfo says exactly what. */
export class UnsupportedSqlError extends FlinkSqlError {
  constructor(what: string) {
    super('org.apache.flink.table.api.TableException', `Unsupported SQL construct in Millrace's Flink SQL engine: ${what}`);
  }
}

/** A row that fails at run time (bad JSON without ignore-parse-errors, a failing CAST). */
export class RuntimeSqlError extends FlinkSqlError {
  constructor(message: string, flinkClass = 'org.apache.flink.table.api.TableException') {
    super(flinkClass, message);
  }
}
