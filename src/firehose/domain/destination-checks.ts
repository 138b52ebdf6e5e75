import { checkPrefixes } from '../delivery/prefixes.js';
import { isKnownTimeZone } from '../delivery/timestamp-format.js';
import { checkFormatConversionDestination } from '../delivery/format-conversion.js';
import { checkProcessingConfiguration } from '../processing/pipeline.js';
import {
  DP_BUFFER_TOO_SMALL,
  DP_CHANGE_REFUSED,
  DP_ZERO_BUFFERING,
  unknownTimeZone,
  OPENSEARCH_BACKUP_CHANGE_REFUSED,
  OPENSEARCH_TYPE_CHANGE_REFUSED,
  S3_BACKUP_DISABLE_REFUSED,
  newKindIncomplete,
  SPLUNK_BACKUP_CHANGE_REFUSED,
} from '../errors.js';
import type { DestinationDescription } from './delivery-stream.js';
import { DP_MIN_BUFFER_MB, kindOf, missingForNewKind, SEARCH_KINDS, type DestinationKind } from './destination.js';

type Json = Record<string, unknown>;

/**
 * Create/Update-time checks of a destination as it will be described (defaults filled), in the
 * order AWS reports them as far as recordings show: buffering under dynamic partitioning (§7,
 * §10.5), format conversion (§11, fh-glue), prefixes (§8.3, fh-format), processors (§10,
 * fh-processing). Returns the InvalidArgumentException message, or undefined.
 */
export async function checkDestination(destination: DestinationDescription): Promise<string | undefined> {
  const kind = kindOf(destination);
  const description = destination[`${kind}DestinationDescription`] as Json;
  if (kind === 'ExtendedS3') {
    const dp = (description.DynamicPartitioningConfiguration as Json | undefined)?.Enabled === true;
    const hints = description.BufferingHints as { SizeInMBs: number; IntervalInSeconds: number };
    if (dp && hints.SizeInMBs < DP_MIN_BUFFER_MB) return DP_BUFFER_TOO_SMALL;
    if (dp && hints.IntervalInSeconds === 0) return DP_ZERO_BUFFERING;
    const conversion = checkFormatConversionDestination({
      conversion: description.DataFormatConversionConfiguration,
      compressionFormat: description.CompressionFormat as string,
      sizeInMBs: hints.SizeInMBs,
    });
    if (conversion) return conversion;
    const zone = description.CustomTimeZone as string | undefined;
    // '' means UTC, as no CustomTimeZone does (model: `^$|[a-zA-Z/_]+`).
    if (zone && !isKnownTimeZone(zone)) return unknownTimeZone(zone);
    const prefixes = checkPrefixes({ prefix: description.Prefix as string, errorOutputPrefix: description.ErrorOutputPrefix as string | undefined, dynamicPartitioning: dp });
    if (prefixes) return prefixes;
    const backup = description.S3BackupDescription as Json | undefined;
    if (backup) {
      const backupPrefixes = checkS3Prefixes(backup);
      if (backupPrefixes) return backupPrefixes;
    }
  } else if (kind === 'S3') {
    const prefixes = checkS3Prefixes(description);
    if (prefixes) return prefixes;
  } else {
    const s3 = description.S3DestinationDescription as Json | undefined;
    if (s3) {
      const prefixes = checkS3Prefixes(s3);
      if (prefixes) return prefixes;
    }
  }
  if (description.ProcessingConfiguration !== undefined) return checkProcessingConfiguration(description.ProcessingConfiguration);
  return undefined;
}

const checkS3Prefixes = (s3: Json) =>
  checkPrefixes({ prefix: s3.Prefix as string | undefined, errorOutputPrefix: s3.ErrorOutputPrefix as string | undefined, dynamicPartitioning: false });

/** The changes UpdateDestination refuses (§4): returns the InvalidArgumentException message, or undefined. */
export function checkDestinationChange(current: DestinationDescription, kind: DestinationKind, update: Json): string | undefined {
  const currentKind = kindOf(current);
  if (currentKind !== kind && (SEARCH_KINDS.has(currentKind) || SEARCH_KINDS.has(kind))) return OPENSEARCH_TYPE_CHANGE_REFUSED;
  if (currentKind !== kind) {
    // A new kind is described from the update alone; dynamic partitioning is a create-time choice.
    const missing = missingForNewKind(kind, update);
    if (missing.length) return newKindIncomplete(kind, missing);
    return (update.DynamicPartitioningConfiguration as Json | undefined)?.Enabled === true ? DP_CHANGE_REFUSED : undefined;
  }
  const description = current[`${kind}DestinationDescription`] as Json;
  const mode = update.S3BackupMode as string | undefined;
  if (kind === 'ExtendedS3') {
    const dpWas = (description.DynamicPartitioningConfiguration as Json | undefined)?.Enabled === true;
    const dpUpdate = update.DynamicPartitioningConfiguration as Json | undefined;
    if (dpUpdate?.Enabled !== undefined && dpUpdate.Enabled !== dpWas) return DP_CHANGE_REFUSED;
    if (mode === 'Disabled' && description.S3BackupMode === 'Enabled') return S3_BACKUP_DISABLE_REFUSED;
  }
  if (kind === 'Splunk' && mode !== undefined && mode !== description.S3BackupMode && mode !== 'AllEvents') return SPLUNK_BACKUP_CHANGE_REFUSED;
  if (SEARCH_KINDS.has(kind) && mode !== undefined && mode !== description.S3BackupMode) return OPENSEARCH_BACKUP_CHANGE_REFUSED;
  return undefined;
}
