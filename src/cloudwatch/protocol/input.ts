import { invalidParameterValue, invalidValue, missingParameter, serializationError } from '../errors.js';
import { CLOUDWATCH_MODEL, shape, type CwShape } from './model.js';

/**
 * Turns a request's decoded input (JSON object, CBOR map, or query form) into the operation's
 * input by the model: timestamps as epoch milliseconds, numbers as numbers, lists as arrays; and
 * checks what the model requires, naming members the way CloudWatch's errors name them,
 * `MetricData.member.1.Value` (query paths, whatever protocol carried the request).
 */
export type Protocol = 'json' | 'cbor' | 'query';

export function readInput(operation: string, raw: unknown, protocol: Protocol): Record<string, unknown> {
  const inputShape = CLOUDWATCH_MODEL.operations[operation].input?.shape;
  if (!inputShape) return {};
  if (protocol === 'query') raw = treeOfForm(raw as URLSearchParams);
  if (raw === undefined || raw === null) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw serializationError();
  return convert(shape(inputShape), raw, '', protocol) as Record<string, unknown>;
}

const joined = (path: string, member: string) => (path ? `${path}.${member}` : member);

function convert(s: CwShape, value: unknown, path: string, protocol: Protocol): unknown {
  switch (s.type) {
    case 'structure': {
      const source = asObject(value, path);
      const out: Record<string, unknown> = {};
      for (const [name, ref] of Object.entries(s.members ?? {})) {
        const member = source[name];
        if (member === undefined || member === null) continue;
        out[name] = convert(shape(ref.shape), member, joined(path, name), protocol);
      }
      for (const name of s.required ?? []) if (out[name] === undefined) throw missingParameter(joined(path, name));
      return out;
    }
    case 'list': {
      const items = protocol === 'query' ? listOfTree(value) : value;
      if (!Array.isArray(items)) throw invalidValue(value, path);
      const memberShape = shape(s.member!.shape);
      if (s.max !== undefined && items.length > s.max) throw invalidParameterValue(`The collection ${path} must not have a size greater than ${s.max}.`);
      if (s.min !== undefined && items.length < s.min) throw invalidParameterValue(`The collection ${path} must have a size of at least ${s.min}.`);
      return items.map((item, i) => convert(memberShape, item, `${path}.member.${i + 1}`, protocol));
    }
    case 'map': {
      const source = asObject(value, path);
      const out: Record<string, unknown> = {};
      const valueShape = shape(s.value!.shape);
      if (protocol === 'query') {
        for (const entry of listOfTree(source.entry ?? {})) {
          const e = asObject(entry, path);
          out[String(e.key)] = convert(valueShape, e.value, `${path}.${String(e.key)}`, protocol);
        }
        return out;
      }
      for (const [key, item] of Object.entries(source)) out[key] = convert(valueShape, item, `${path}.${key}`, protocol);
      return out;
    }
    case 'string': {
      if (typeof value !== 'string') throw invalidValue(value, path);
      if (s.min !== undefined && value.length < s.min) throw invalidParameterValue(`The parameter ${path} must be longer than ${s.min - 1} character${s.min - 1 === 1 ? '' : 's'}.`);
      if (s.max !== undefined && value.length > s.max) throw invalidParameterValue(`The parameter ${path} must be shorter than ${s.max + 1} characters.`);
      if (s.enum && !s.enum.includes(value)) throw invalidValue(value, path);
      if (s.pattern && !new RegExp(`^(?:${s.pattern})$`, 's').test(value)) throw invalidValue(value, path);
      return value;
    }
    case 'integer':
    case 'long': {
      const n = typeof value === 'string' && protocol === 'query' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isInteger(n)) throw invalidValue(value, path);
      if (s.min !== undefined && n < s.min) throw invalidValue(value, path);
      if (s.max !== undefined && n > s.max) throw invalidValue(value, path);
      return n;
    }
    case 'double':
    case 'float': {
      // Query forms carry numbers as text; JSON carries NaN and the infinities as strings (refused by the operation).
      const n = typeof value === 'string' ? Number(value) : value;
      if (typeof n !== 'number' || (typeof value === 'string' && value.trim() === '')) throw invalidValue(value, path);
      return n;
    }
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      throw invalidValue(value, path);
    }
    case 'timestamp':
      return timestampOf(value, path);
    case 'blob':
      if (Buffer.isBuffer(value) || value instanceof Uint8Array) return Buffer.from(value);
      if (typeof value === 'string') return Buffer.from(value, 'base64');
      throw invalidValue(value, path);
  }
}

/** Epoch ms from epoch seconds (JSON), a Date (CBOR tag 1), or ISO 8601 text (query). */
function timestampOf(value: unknown, path: string): number {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw invalidValue(value, path);
    return value.getTime();
  }
  if (typeof value === 'number' && Number.isFinite(value)) return Math.round(value * 1000);
  if (typeof value === 'string') {
    const asNumber = Number(value);
    if (value.trim() !== '' && Number.isFinite(asNumber)) return Math.round(asNumber * 1000);
    const time = Date.parse(value);
    if (!Number.isNaN(time)) return time;
  }
  throw invalidValue(value, path);
}

function asObject(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Buffer.isBuffer(value)) throw invalidValue(value, path);
  return value as Record<string, unknown>;
}

/** A query form as a tree: `MetricData.member.1.Value=3` → `{ MetricData: { member: { 1: { Value: '3' } } } }`. */
function treeOfForm(form: URLSearchParams): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of form) {
    if (key === 'Action' || key === 'Version') continue;
    const parts = key.split('.');
    let node = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const next = node[parts[i]];
      if (typeof next === 'object' && next !== null) node = next as Record<string, unknown>;
      else node = (node[parts[i]] = {}) as Record<string, unknown>;
    }
    const last = parts[parts.length - 1];
    // `MetricData=` with no members is the query protocol's empty list.
    if (typeof node[last] !== 'object') node[last] = value;
  }
  return root;
}

/** `{ member: { 1: a, 2: b } }` → `[a, b]`; an empty string is the empty list. */
function listOfTree(value: unknown): unknown[] {
  if (value === '') return [];
  if (typeof value !== 'object' || value === null) return value as unknown[];
  const node = value as Record<string, unknown>;
  const members = (node.member ?? node) as Record<string, unknown>;
  return Object.keys(members)
    .filter((k) => /^\d+$/.test(k))
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => members[k]);
}
