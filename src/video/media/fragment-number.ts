import { randomInt } from 'node:crypto';

/**
 * Fragment numbers as AWS structures them (VIDEO-SPEC §4.3, decoded from captured numbers):
 * 2^156 + (seq << 92) + (serverTimestampMs << 28) + low28, always 47 decimal digits, so string
 * order is numeric order. `seq` counts the stream's fragments; `low28` looks random on AWS.
 */
const BASE = 1n << 156n;
const SEQ_SHIFT = 92n;
const TIME_SHIFT = 28n;
const TIME_MASK = (1n << 64n) - 1n;
const LOW_MASK = (1n << 28n) - 1n;
export const FRAGMENT_NUMBER_DIGITS = 47;

export interface FragmentNumberParts {
  seq: number;
  serverMs: number;
  low: number;
}

export function encodeFragmentNumber(seq: number, serverMs: number, low = randomInt(1 << 28)): string {
  return (BASE + (BigInt(seq) << SEQ_SHIFT) + (BigInt(serverMs) << TIME_SHIFT) + BigInt(low)).toString();
}

/** The parts of a fragment number, or undefined when the text is not one Millrace (or AWS) makes. */
export function decodeFragmentNumber(text: string): FragmentNumberParts | undefined {
  if (text.length !== FRAGMENT_NUMBER_DIGITS || !/^[0-9]+$/.test(text)) return undefined;
  const value = BigInt(text) - BASE;
  if (value < 0n) return undefined;
  const seq = value >> SEQ_SHIFT;
  if (seq > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return { seq: Number(seq), serverMs: Number((value >> TIME_SHIFT) & TIME_MASK), low: Number(value & LOW_MASK) };
}
