/**
 * Hive column types as Glue tables state them (`StorageDescriptor.Columns[].Type`): `string`,
 * `int`, `decimal(10,2)`, `array<struct<a:int,b:string>>`, `map<string,bigint>`, … parsed into a
 * tree that format conversion writes from. Names and keywords are case-insensitive, as in Hive.
 */
export type HiveType =
  | { kind: 'string'; maxLength?: number /* varchar(n), char(n) */ }
  | { kind: 'boolean' | 'tinyint' | 'smallint' | 'int' | 'bigint' | 'float' | 'double' | 'timestamp' | 'date' | 'binary' }
  | { kind: 'decimal'; precision: number; scale: number }
  | { kind: 'array'; element: HiveType }
  | { kind: 'map'; key: HiveType; value: HiveType }
  | { kind: 'struct'; fields: Array<{ name: string; type: HiveType }> };

/** Hive's `decimal` without arguments is decimal(10,0); precision is at most 38 (HiveDecimal.MAX_PRECISION). */
export const HIVE_DEFAULT_DECIMAL = { precision: 10, scale: 0 };
export const HIVE_MAX_DECIMAL_PRECISION = 38;

const SCALARS: Record<string, HiveType> = {
  string: { kind: 'string' },
  boolean: { kind: 'boolean' },
  tinyint: { kind: 'tinyint' },
  smallint: { kind: 'smallint' },
  int: { kind: 'int' },
  integer: { kind: 'int' },
  bigint: { kind: 'bigint' },
  float: { kind: 'float' },
  double: { kind: 'double' },
  'double precision': { kind: 'double' },
  timestamp: { kind: 'timestamp' },
  date: { kind: 'date' },
  binary: { kind: 'binary' },
};

export class HiveTypeError extends Error {}

export function parseHiveType(text: string): HiveType {
  const parser = new Parser(text);
  const type = parser.type();
  parser.skipSpace();
  if (!parser.atEnd()) throw new HiveTypeError(`Error: unexpected '${text.slice(parser.pos)}' in type '${text}'`);
  return type;
}

class Parser {
  pos = 0;
  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  private word(): string {
    this.skipSpace();
    const match = /^[A-Za-z_][A-Za-z0-9_]*(?: precision)?/i.exec(this.text.slice(this.pos));
    if (!match) throw new HiveTypeError(`Error: type expected at position ${this.pos} of '${this.text}'`);
    this.pos += match[0].length;
    return match[0].toLowerCase();
  }

  private expect(char: string): void {
    this.skipSpace();
    if (this.text[this.pos] !== char) throw new HiveTypeError(`Error: '${char}' expected at position ${this.pos} of '${this.text}'`);
    this.pos++;
  }

  private peek(char: string): boolean {
    this.skipSpace();
    return this.text[this.pos] === char;
  }

  private integer(): number {
    this.skipSpace();
    const match = /^\d+/.exec(this.text.slice(this.pos));
    if (!match) throw new HiveTypeError(`Error: number expected at position ${this.pos} of '${this.text}'`);
    this.pos += match[0].length;
    return Number(match[0]);
  }

  /** A struct field name: Hive allows backquoted names, and anything up to ':' otherwise. */
  private fieldName(): string {
    this.skipSpace();
    if (this.text[this.pos] === '`') {
      const end = this.text.indexOf('`', this.pos + 1);
      if (end === -1) throw new HiveTypeError(`Error: unterminated name in '${this.text}'`);
      const name = this.text.slice(this.pos + 1, end);
      this.pos = end + 1;
      return name;
    }
    const match = /^[^:,<>\s]+/.exec(this.text.slice(this.pos));
    if (!match) throw new HiveTypeError(`Error: field name expected at position ${this.pos} of '${this.text}'`);
    this.pos += match[0].length;
    return match[0];
  }

  type(): HiveType {
    const name = this.word();
    switch (name) {
      case 'array': {
        this.expect('<');
        const element = this.type();
        this.expect('>');
        return { kind: 'array', element };
      }
      case 'map': {
        this.expect('<');
        const key = this.type();
        this.expect(',');
        const value = this.type();
        this.expect('>');
        return { kind: 'map', key, value };
      }
      case 'struct': {
        this.expect('<');
        const fields: Array<{ name: string; type: HiveType }> = [];
        if (!this.peek('>')) {
          do {
            const fieldName = this.fieldName();
            this.expect(':');
            fields.push({ name: fieldName, type: this.type() });
          } while (this.peek(',') && this.expect(',') === undefined);
        }
        this.expect('>');
        return { kind: 'struct', fields };
      }
      case 'decimal':
      case 'numeric': {
        if (!this.peek('(')) return { kind: 'decimal', ...HIVE_DEFAULT_DECIMAL };
        this.expect('(');
        const precision = this.integer();
        let scale = 0;
        if (this.peek(',')) {
          this.expect(',');
          scale = this.integer();
        }
        this.expect(')');
        if (precision < 1 || precision > HIVE_MAX_DECIMAL_PRECISION || scale > precision) {
          throw new HiveTypeError(`Error: invalid decimal(${precision},${scale}) in '${this.text}'`);
        }
        return { kind: 'decimal', precision, scale };
      }
      case 'varchar':
      case 'char': {
        this.expect('(');
        const maxLength = this.integer();
        this.expect(')');
        return { kind: 'string', maxLength };
      }
      default: {
        const scalar = SCALARS[name];
        if (!scalar) throw new HiveTypeError(`Error: unsupported type '${name}' in '${this.text}'`);
        return scalar;
      }
    }
  }
}
