import { isRegionName } from '../../protocol/region.js';
import { badParameter } from './errors.js';

/** The account and region a request looks at (`?account=&region=`, default --account / --region). */
export interface ConsoleScope {
  account: string;
  region: string;
}

/** Query strings longer than this are refused before anything looks at them. */
export const MAX_PARAM_CHARS = 4096;

export function scopeOf(url: URL, defaults: ConsoleScope): ConsoleScope {
  const account = url.searchParams.get('account') ?? defaults.account;
  const region = url.searchParams.get('region') ?? defaults.region;
  if (!/^\d{12}$/.test(account)) throw badParameter(`account must be 12 digits, got ${JSON.stringify(account.slice(0, 40))}`);
  if (!isRegionName(region)) throw badParameter(`region must be an AWS region name such as us-east-1, got ${JSON.stringify(region.slice(0, 70))}`);
  return { account, region };
}

/** A string parameter, at most `max` characters; undefined when absent or empty. */
export function text(url: URL, name: string, max = 256): string | undefined {
  const value = url.searchParams.get(name);
  if (value === null || value === '') return undefined;
  if (value.length > max) throw badParameter(`${name} is longer than ${max} characters`);
  return value;
}

/** A whole-number parameter within [min, max]; `fallback` when absent. */
export function integer(url: URL, name: string, min: number, max: number, fallback: number): number {
  const value = url.searchParams.get(name);
  if (value === null || value === '') return fallback;
  if (!/^\d{1,16}$/.test(value)) throw badParameter(`${name} must be a whole number between ${min} and ${max}, got ${JSON.stringify(value.slice(0, 40))}`);
  const n = Number(value);
  if (n < min || n > max) throw badParameter(`${name} must be a whole number between ${min} and ${max}, got ${value}`);
  return n;
}

/** One of `choices`; `fallback` when absent. */
export function choice<T extends string>(url: URL, name: string, choices: readonly T[], fallback: T): T {
  const value = url.searchParams.get(name);
  if (value === null || value === '') return fallback;
  if (!choices.includes(value as T)) throw badParameter(`${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(value.slice(0, 40))}`);
  return value as T;
}

/** A JSON object body's field of the expected type. */
export function field<T>(body: Record<string, unknown>, name: string, type: 'string' | 'number' | 'object' | 'boolean', required: true): T;
export function field<T>(body: Record<string, unknown>, name: string, type: 'string' | 'number' | 'object' | 'boolean', required?: false): T | undefined;
export function field<T>(body: Record<string, unknown>, name: string, type: 'string' | 'number' | 'object' | 'boolean', required = false): T | undefined {
  const value = body[name];
  if (value === undefined || value === null) {
    if (required) throw badParameter(`${name} is required`);
    return undefined;
  }
  if (typeof value !== type) throw badParameter(`${name} must be a ${type}`);
  return value as T;
}
