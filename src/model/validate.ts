import { createHash } from 'node:crypto';
import { AwsError, serializationError, validationError } from '../protocol/errors.js';
import type { Encoding } from '../protocol/codec.js';
import { allocateWithHeadroom, HEADROOM_MIN_BYTES } from './blob-headroom.js';
import type { ServiceModel, Shape } from './service-model.js';

/**
 * Model-driven input checking, in AWS's two steps (KINESIS-SPEC §1.6 steps 9–10):
 * 1. `coerce`: type checking against the shapes → SerializationException with the Java-flavoured
 *    texts of §1.8; converts base64 to Buffers, epoch seconds to Dates, floors and clamps integers,
 *    drops nulls and unknown members.
 * 2. `constraints`: required members, lengths, ranges, patterns and enums → one ValidationException
 *    listing up to ten violations in the format of §1.9.
 */

/** AWS reports at most this many violations in one ValidationException (§1.9). */
export const MAX_REPORTED_VIOLATIONS = 10;
const INT_MAX = 2147483647;
const INT_MIN = -2147483648;
const NUMBER_CLASS = 'class com.amazon.coral.value.json.numbers.TruncatingBigNumber';

/** Enum orders AWS was recorded printing; other enums print in model order (§1.9). */
const RECORDED_ENUM_ORDER: Record<string, string[]> = {
  ShardIteratorType: ['AFTER_SEQUENCE_NUMBER', 'LATEST', 'AT_TIMESTAMP', 'AT_SEQUENCE_NUMBER', 'TRIM_HORIZON'],
  // Firehose (FIREHOSE-SPEC §17, captured from AWS by floci).
  CompressionFormat: ['ZIP', 'HADOOP_SNAPPY', 'Snappy', 'GZIP', 'UNCOMPRESSED'],
};

type Json = unknown;

/** A member of a structure shape, with what checking it needs. */
interface MemberPlan {
  name: string;
  shapeName: string;
  shape: Shape;
  required: boolean;
}

export class ModelValidator {
  private readonly patterns = new Map<string, RegExp>();

  constructor(
    private readonly model: ServiceModel,
    /** Java package AWS prints for structures inside lists, e.g. `com.amazonaws.kinesis.v20131202`. */
    private readonly structurePackage: string,
  ) {
    this.operationNames = new Set(Object.keys(model.operations));
  }

  /** The model's operation names: asked on every request, and the model's own table is a large dictionary. */
  private readonly operationNames: ReadonlySet<string>;

  hasOperation(name: string): boolean {
    return this.operationNames.has(name);
  }

  /** Type-checks and validates an operation's decoded request body; returns the typed input. */
  parseInput(operation: string, body: Record<string, Json>): Record<string, unknown> {
    const inputShape = this.model.operations[operation]?.input?.shape;
    if (!inputShape) return {};
    const input = this.coerce(inputShape, body) as Record<string, unknown>;
    // Most requests are valid: a check that builds no paths or texts comes first, and only a
    // request that fails it is walked again to report AWS's messages.
    if (this.satisfies(inputShape, input)) return input;
    const violations: string[] = [];
    this.constraints(inputShape, input, '', violations);
    if (violations.length) {
      const n = violations.length;
      throw validationError(`${n} validation error${n > 1 ? 's' : ''} detected: ${violations.join('; ')}`);
    }
    return input;
  }

  private shape(name: string): Shape {
    const shape = this.model.shapes[name];
    if (!shape) throw new Error(`model has no shape ${name}`);
    return shape;
  }

  private readonly memberLists = new Map<string, MemberPlan[]>();

  /** A structure's members with their shapes, looked up once per structure. */
  private members(shapeName: string, shape: Shape): MemberPlan[] {
    let members = this.memberLists.get(shapeName);
    if (!members) {
      members = Object.entries(shape.members ?? {}).map(([name, ref]) => ({
        name,
        shapeName: ref.shape,
        shape: this.shape(ref.shape),
        required: shape.required?.includes(name) ?? false,
      }));
      this.memberLists.set(shapeName, members);
    }
    return members;
  }

  private readonly memberNames = new Map<string, Set<string>>();

  /** Whether every key of `record` is a member of the structure and none is null or undefined: nothing to drop. */
  private onlyKnownMembers(shapeName: string, shape: Shape, record: Record<string, Json>): boolean {
    let names = this.memberNames.get(shapeName);
    if (!names) {
      names = new Set(Object.keys(shape.members ?? {}));
      this.memberNames.set(shapeName, names);
    }
    for (const key in record) {
      if (!names.has(key) || record[key] == null) return false;
    }
    return true;
  }

  /** True when `value` breaks no constraint that `constraints` would report. */
  private satisfies(shapeName: string, value: unknown): boolean {
    const shape = this.shape(shapeName);
    if (shape.type !== 'structure' || !isPlainObject(value)) return true;
    const record = value as Record<string, unknown>;
    // Indexed loops here and in coerce: for…of allocated an iterator result per member (profiles).
    const members = this.members(shapeName, shape);
    for (let i = 0; i < members.length; i++) {
      const member = members[i];
      const memberValue = record[member.name];
      if (memberValue === undefined) {
        if (member.required) return false;
        continue;
      }
      if (!this.memberSatisfies(member.shapeName, memberValue, member.shape)) return false;
    }
    return true;
  }

  private memberSatisfies(shapeName: string, value: unknown, shape = this.shape(shapeName)): boolean {
    if (!this.scalarSatisfies(shapeName, shape, value)) return false;
    if (shape.type === 'structure') return this.satisfies(shapeName, value);
    if (shape.type === 'list' && Array.isArray(value)) {
      const elementShape = shape.member!.shape;
      const element = this.shape(elementShape);
      for (const item of value) {
        if (item === null) return false;
        if (element.type === 'structure' ? !this.satisfies(elementShape, item) : !this.scalarSatisfies(elementShape, element, item)) return false;
      }
    }
    if (shape.type === 'map' && isPlainObject(value)) {
      const keyShape = shape.key!.shape;
      const valueShape = shape.value!.shape;
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        if (!this.scalarSatisfies(keyShape, this.shape(keyShape), key) || !this.scalarSatisfies(valueShape, this.shape(valueShape), item)) return false;
      }
    }
    return true;
  }

  /** Allocation-free twin of `scalarViolations(...).length === 0`. */
  private scalarSatisfies(shapeName: string, shape: Shape, value: unknown): boolean {
    if (value === undefined || value === null) return true;
    if (shape.type === 'string' && typeof value === 'string') {
      if (shape.pattern !== undefined && !this.regex(shape.pattern).test(value)) return false;
      if (shape.enum && !shape.enum.includes(value)) return false;
    }
    const size = sizeOf(shape, value);
    if (size !== undefined && ((shape.min !== undefined && size < shape.min) || (shape.max !== undefined && size > shape.max))) return false;
    if ((shape.type === 'integer' || shape.type === 'long') && typeof value === 'number') {
      if ((shape.min !== undefined && value < shape.min) || (shape.max !== undefined && value > shape.max)) return false;
    }
    return true;
  }

  // ---- step 1: types -------------------------------------------------------------------------

  private coerce(shapeName: string, value: Json, known?: Shape): unknown {
    if (value === null || value === undefined) return undefined;
    const shape = known ?? this.shape(shapeName);
    switch (shape.type) {
      case 'structure': {
        if (Array.isArray(value)) throw serializationError('Start of list found where not expected');
        if (!isPlainObject(value)) throw serializationError('Expected null');
        const record = value as Record<string, Json>;
        if (this.onlyKnownMembers(shapeName, shape, record)) {
          // The decoded body belongs to this request alone: typed in place, a PutRecords call
          // does not copy each of its records.
          const members = this.members(shapeName, shape);
          for (let i = 0; i < members.length; i++) {
            const member = members[i];
            const original = record[member.name];
            if (original === undefined) continue;
            const coerced = this.coerce(member.shapeName, original, member.shape);
            if (coerced !== original) (record as Record<string, unknown>)[member.name] = coerced;
          }
          return record;
        }
        const out: Record<string, unknown> = {};
        const members = this.members(shapeName, shape);
        for (let i = 0; i < members.length; i++) {
          const member = members[i];
          const coerced = this.coerce(member.shapeName, record[member.name], member.shape);
          if (coerced !== undefined) out[member.name] = coerced;
        }
        return out;
      }
      case 'list': {
        if (Array.isArray(value)) {
          const elementShape = shape.member!.shape;
          for (let i = 0; i < value.length; i++) {
            const coerced = this.coerce(elementShape, value[i]) ?? null;
            if (coerced !== value[i]) (value as unknown[])[i] = coerced;
          }
          return value;
        }
        if (isPlainObject(value)) throw serializationError('Start of structure or map found where not expected.');
        throw serializationError('Expected list or null');
      }
      case 'map': {
        if (Array.isArray(value)) throw serializationError('Start of list found where not expected');
        if (!isPlainObject(value)) throw serializationError('Expected map or null');
        const entries: Array<[string, unknown]> = [];
        for (const [key, element] of Object.entries(value as Record<string, Json>)) {
          const coerced = this.coerce(shape.value!.shape, element);
          if (coerced !== undefined) entries.push([key, coerced]);
        }
        // fromEntries defines own properties, so a key such as `__proto__` stays a plain key.
        return Object.fromEntries(entries);
      }
      case 'string':
        if (typeof value === 'string') return value;
        throw serializationError(`${scalarClass(value)} can not be converted to an String`);
      case 'integer':
      case 'long': {
        const javaName = shape.type === 'integer' ? 'Integer' : 'Long';
        if (typeof value === 'bigint') value = Number(value);
        if (typeof value !== 'number') throw serializationError(`${scalarClass(value)} can not be converted to an ${javaName}`);
        const n = Math.floor(value);
        return shape.type === 'integer' ? Math.min(INT_MAX, Math.max(INT_MIN, n)) : n;
      }
      case 'boolean':
        if (typeof value === 'boolean') return value;
        if (typeof value === 'string') {
          if (value.toLowerCase() === 'true') return true;
          if (value.toLowerCase() === 'false') return false;
          throw serializationError(`'${value.toUpperCase()}' can not be converted to an Boolean`);
        }
        throw serializationError(`${scalarClass(value)} can not be converted to an Boolean`);
      case 'blob':
        if (Buffer.isBuffer(value)) return value;
        if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
        if (typeof value === 'string') return decodeStrictBase64(value);
        throw serializationError(`${scalarClass(value)} can not be converted to a Blob`);
      case 'timestamp':
        if (value instanceof Date) return value;
        if (typeof value === 'number') return new Date(Math.round(value * 1000));
        if (typeof value === 'bigint') return new Date(Number(value) * 1000);
        throw serializationError(`${scalarClass(value)} can not be converted to milliseconds since epoch`);
    }
  }

  // ---- step 2: constraints -------------------------------------------------------------------

  private constraints(shapeName: string, value: unknown, path: string, out: string[]): void {
    const shape = this.shape(shapeName);
    if (shape.type !== 'structure' || !isPlainObject(value)) return;
    const record = value as Record<string, unknown>;
    const required = new Set(shape.required ?? []);
    for (const [member, ref] of Object.entries(shape.members ?? {})) {
      const memberPath = (path ? path + '.' : '') + member[0].toLowerCase() + member.slice(1);
      const memberValue = record[member];
      if (memberValue === undefined) {
        if (required.has(member)) this.report(out, 'null', memberPath, 'Member must not be null');
        continue;
      }
      this.memberConstraints(ref.shape, memberValue, memberPath, out);
    }
  }

  private memberConstraints(shapeName: string, value: unknown, path: string, out: string[]): void {
    const shape = this.shape(shapeName);
    for (const violation of this.scalarViolations(shapeName, value)) {
      this.report(out, `'${this.render(shapeName, value)}'`, path, violation);
    }
    if (shape.type === 'structure') this.constraints(shapeName, value, path, out);
    if (shape.type === 'list' && Array.isArray(value)) {
      const elementShape = shape.member!.shape;
      // A null element cannot reach an operation. AWS's answer is UNVERIFIED; a ValidationException
      // at the element's path keeps it a client error in the §1.9 format.
      value.forEach((element, i) => {
        if (element === null) this.report(out, 'null', `${path}.${i + 1}.member`, 'Member must not be null');
      });
      if (this.shape(elementShape).type === 'structure') {
        value.forEach((element, i) => this.constraints(elementShape, element, `${path}.${i + 1}.member`, out));
      } else if (value.some((element) => this.scalarViolations(elementShape, element).length > 0)) {
        this.report(out, `'${this.render(shapeName, value)}'`, path, `Member must satisfy constraint: [${this.describe(elementShape)}]`);
      }
    }
    if (shape.type === 'map' && isPlainObject(value)) {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.some(([key]) => this.scalarViolations(shape.key!.shape, key).length > 0)) {
        this.report(out, `'${this.render(shapeName, value)}'`, path, `Map keys must satisfy constraint: [${this.describe(shape.key!.shape)}]`);
      }
      if (entries.some(([, v]) => this.scalarViolations(shape.value!.shape, v).length > 0)) {
        this.report(out, `'${this.render(shapeName, value)}'`, path, `Map value must satisfy constraint: [${this.describe(shape.value!.shape)}]`);
      }
    }
  }

  /** The constraint phrases a single value breaks, in the order AWS was recorded listing them. */
  private scalarViolations(shapeName: string, value: unknown): string[] {
    const shape = this.shape(shapeName);
    const found: string[] = [];
    if (value === undefined || value === null) return found;
    if (shape.type === 'string' && typeof value === 'string') {
      if (shape.pattern !== undefined && !this.regex(shape.pattern).test(value)) {
        found.push(`Member must satisfy regular expression pattern: ${shape.pattern}`);
      }
      if (shape.enum && !shape.enum.includes(value)) {
        found.push(`Member must satisfy enum value set: [${(RECORDED_ENUM_ORDER[shapeName] ?? shape.enum).join(', ')}]`);
      }
    }
    const size = sizeOf(shape, value);
    if (size !== undefined) {
      if (shape.min !== undefined && size < shape.min) found.push(`Member must have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && size > shape.max) found.push(`Member must have length less than or equal to ${shape.max}`);
    }
    if ((shape.type === 'integer' || shape.type === 'long') && typeof value === 'number') {
      if (shape.min !== undefined && value < shape.min) found.push(`Member must have value greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && value > shape.max) found.push(`Member must have value less than or equal to ${shape.max}`);
    }
    return found;
  }

  /** Every constraint of an element shape, as AWS lists them for collection members (§1.9). */
  private describe(shapeName: string): string {
    const shape = this.shape(shapeName);
    const parts: string[] = [];
    if (shape.max !== undefined) parts.push(`Member must have length less than or equal to ${shape.max}`);
    if (shape.min !== undefined) parts.push(`Member must have length greater than or equal to ${shape.min}`);
    if (shape.pattern !== undefined) parts.push(`Member must satisfy regular expression pattern: ${shape.pattern}`);
    if (shape.enum) parts.push(`Member must satisfy enum value set: [${(RECORDED_ENUM_ORDER[shapeName] ?? shape.enum).join(', ')}]`);
    return parts.join(', ');
  }

  private report(out: string[], renderedValue: string, path: string, constraint: string): void {
    if (out.length >= MAX_REPORTED_VIOLATIONS) return;
    out.push(`Value ${renderedValue} at '${path}' failed to satisfy constraint: ${constraint}`);
  }

  /** A value as the Java service prints it inside a ValidationException. */
  private render(shapeName: string, value: unknown): string {
    const shape = this.shape(shapeName);
    if (value === null || value === undefined) return 'null';
    switch (shape.type) {
      case 'blob': {
        const len = (value as Buffer).length;
        return `java.nio.HeapByteBuffer[pos=0 lim=${len} cap=${len}]`;
      }
      case 'list':
        return '[' + (value as unknown[]).map((e) => this.render(shape.member!.shape, e)).join(', ') + ']';
      case 'map':
        return '{' + Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}=${this.render(shape.value!.shape, v)}`).join(', ') + '}';
      case 'structure': {
        const identity = createHash('md5').update(JSON.stringify(value, (_k, v) => (Buffer.isBuffer(v) ? v.length : v))).digest('hex').slice(0, 8);
        return `${this.structurePackage}.${shapeName}@${identity}`;
      }
      case 'timestamp':
        return (value as Date).toISOString();
      default:
        return String(value);
    }
  }

  private regex(pattern: string): RegExp {
    let re = this.patterns.get(pattern);
    if (!re) {
      re = new RegExp(`^(?:${pattern})$`, 'u');
      this.patterns.set(pattern, re);
    }
    return re;
  }
}

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value) && !(value instanceof Date) && !(value instanceof Uint8Array);
}

function sizeOf(shape: Shape, value: unknown): number | undefined {
  switch (shape.type) {
    case 'string':
      return typeof value === 'string' ? value.length : undefined;
    case 'blob':
      return Buffer.isBuffer(value) ? value.length : undefined;
    case 'list':
      return Array.isArray(value) ? value.length : undefined;
    case 'map':
      return isPlainObject(value) ? Object.keys(value as object).length : undefined;
    default:
      return undefined;
  }
}

/** The Java class name AWS prints for a JSON value of the wrong type (§1.8). */
function scalarClass(value: unknown): string {
  if (Array.isArray(value)) throw serializationError('Start of list found where not expected');
  if (typeof value === 'boolean') return 'class java.lang.Boolean';
  if (typeof value === 'number' || typeof value === 'bigint') return NUMBER_CLASS;
  if (typeof value === 'string') return 'class java.lang.String';
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return 'class java.nio.HeapByteBuffer';
  if (value instanceof Date) return 'class java.util.Date';
  throw serializationError('Start of structure or map found where not expected.');
}

const BASE64_ILLEGAL = /[^a-zA-Z0-9+/=]|=[^=]/;

/**
 * True when `text` is strict base64 and `decoded` is Node's decoding of it, checked without
 * encoding the data again (records reach 1 MiB). Node's decoder skips characters it does not know
 * and stops at '=', so any such character leaves the output shorter than the length the text
 * promises; it also accepts the URL-safe '-' and '_', which are looked for directly. Only the last
 * quantum can carry padding bits, so only it is re-encoded.
 */
function isStrictBase64(text: string, decoded: Buffer): boolean {
  const n = text.length;
  if (n % 4 !== 0 || text.indexOf('-') !== -1 || text.indexOf('_') !== -1) return false;
  const padding = n === 0 || text.charCodeAt(n - 1) !== PAD ? 0 : text.charCodeAt(n - 2) === PAD ? 2 : 1;
  if (decoded.length !== (n / 4) * 3 - padding) return false;
  // The bits of the last character before the padding that fall outside the data must be zero
  // (4 of them before '==', 2 before '='): what re-encoding the last quantum would check, without
  // making a buffer and a string per blob.
  if (padding === 0) return true;
  const last = BASE64_VALUES[text.charCodeAt(n - 1 - padding)];
  return (last & (padding === 2 ? 0b1111 : 0b11)) === 0;
}

const PAD = 0x3d; // '='
/** The 6-bit value of each base64 character by char code (valid characters only are looked up). */
const BASE64_VALUES = new Uint8Array(128);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].entries()) BASE64_VALUES[c.charCodeAt(0)] = i;

/** Node's (lenient) decoding; large blobs get headroom for the store (blob-headroom.ts). */
function decodeBase64(text: string): Buffer {
  const most = (text.length >>> 2) * 3;
  if (most < HEADROOM_MIN_BYTES) return Buffer.from(text, 'base64');
  const room = allocateWithHeadroom(most);
  return room.subarray(0, room.write(text, 'base64'));
}

/** Strict base64 as the Java service decodes it; `Buffer.from(s, 'base64')` alone is too lenient. */
export function decodeStrictBase64(text: string): Buffer {
  const decoded = decodeBase64(text);
  if (isStrictBase64(text, decoded)) return decoded;
  const fail = (reason: string): AwsError => serializationError(`'${text}' can not be converted to a Blob: ${reason}`);
  if (text.length % 4) throw fail(`Base64 encoded length is expected a multiple of 4 bytes but found: ${text.length}`);
  const illegal = BASE64_ILLEGAL.exec(text);
  if (illegal) throw fail(`Invalid Base64 character: '${illegal[0][0]}'`);
  // Only the last quantum can carry non-zero padding bits, so only it needs the round trip.
  const last = text.slice(-4);
  if (Buffer.from(last, 'base64').toString('base64') !== last) throw fail('Invalid last non-pad Base64 character dectected');
  return Buffer.from(text, 'base64');
}
