/**
 * The object name after the prefix (FIREHOSE-SPEC §8.1):
 * `<stream name>-<version>-<yyyy>-<MM>-<dd>-<HH>-<mm>-<ss>-<uuid><file extension>`, e.g.
 * `ASEA-Firehose-Delivery-Stream-1-2021-11-09-05-00-50-a023088c-2ed6-4c6b-89e6-aa649a5bd690` (§1 fact 7).
 * The timestamp is the object's (its oldest record's arrival), in the stream's time zone.
 */
import { randomUUID } from 'node:crypto';
import { zonedFields } from './timestamp-format.js';

const two = (n: number) => (n < 10 ? '0' + n : String(n));

/** `<name>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><ext>` (§8.1), timestamp in timeZone. */
export function objectName(streamName: string, version: number, epochMs: number, timeZone: string, extension: string, uuid: string = randomUUID()): string {
  const f = zonedFields(epochMs, timeZone);
  const year = String(f.year).padStart(4, '0');
  return `${streamName}-${version}-${year}-${two(f.month)}-${two(f.day)}-${two(f.hour)}-${two(f.minute)}-${two(f.second)}-${uuid}${extension}`;
}

/**
 * §9: the key's extension — FileExtension (ExtendedS3) replaces the format's default one
 * (compression's `.gz`…, or `.parquet` for format conversion); an empty FileExtension counts as unset.
 */
export function objectExtension(defaultExtension: string, fileExtension: string | undefined): string {
  return fileExtension ? fileExtension : defaultExtension;
}
