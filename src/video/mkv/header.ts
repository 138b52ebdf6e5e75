import {
  SIMPLE_TAG_ID, TAG_BINARY_ID, TAG_ID, TAG_NAME_ID, TAG_STRING_ID, TIMECODE_SCALE_ID, TRACK_ENTRY_ID, TRACK_NUMBER_ID,
} from './ids.js';
import { children, readUint } from './reader.js';

/** Reading the few header facts the ingest checks: TimecodeScale, track numbers, tag names. */

/** Matroska's default TimecodeScale: 1,000,000 ns = 1 ms per tick. */
export const DEFAULT_TIMECODE_SCALE_NS = 1_000_000;

/** TimecodeScale from a whole Info element. */
export function timecodeScale(info: Buffer): number {
  for (const child of children(info)) if (child.id === TIMECODE_SCALE_ID) return readUint(child.body, 0, child.body.length) || DEFAULT_TIMECODE_SCALE_NS;
  return DEFAULT_TIMECODE_SCALE_NS;
}

/** The track numbers declared by a whole Tracks element, in order. */
export function trackNumbers(tracks: Buffer): number[] {
  const numbers: number[] = [];
  for (const entry of children(tracks)) {
    if (entry.id !== TRACK_ENTRY_ID) continue;
    for (const field of children(entry.raw)) if (field.id === TRACK_NUMBER_ID) numbers.push(readUint(field.body, 0, field.body.length));
  }
  return numbers;
}

/** Every SimpleTag name/value in a whole Tags element (nested SimpleTags included). */
export function simpleTagPairs(tagsElement: Buffer): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  const visit = (simpleTag: Buffer) => {
    let name = '';
    let value = '';
    for (const field of children(simpleTag)) {
      if (field.id === TAG_NAME_ID) name = field.body.toString('utf8');
      else if (field.id === TAG_STRING_ID) value = field.body.toString('utf8');
      else if (field.id === TAG_BINARY_ID) value = field.body.toString('base64');
      else if (field.id === SIMPLE_TAG_ID) visit(field.raw);
    }
    pairs.push([name, value]);
  };
  for (const tag of children(tagsElement)) {
    if (tag.id !== TAG_ID) continue;
    for (const field of children(tag.raw)) if (field.id === SIMPLE_TAG_ID) visit(field.raw);
  }
  return pairs;
}
