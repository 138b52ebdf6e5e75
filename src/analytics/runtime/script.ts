import type { PropertyGroup } from '../domain/application.js';
import { SQL_FILE_PROPERTY_GROUP } from '../domain/code.js';

/**
 * How application properties (EnvironmentProperties) reach a Flink SQL job. A JAR job reads them with
 * KinesisAnalyticsRuntime.getApplicationProperties() (ANALYTICS-SPEC §5.1); SQL has no such call, so
 * Millrace (a documented convention, README) gives them two ways:
 * - `${GroupId.key}` in the script is replaced by that property's value (unknown names are left as written,
 *   so Flink's own text such as a format string is untouched);
 * - the entries of the group SQL_CONFIG_PROPERTY_GROUP are the job's configuration before its own SET
 *   statements (e.g. `table.exec.source.idle-timeout`).
 */
export const SQL_CONFIG_PROPERTY_GROUP = 'millrace.sql.config';

const PLACEHOLDER = /\$\{([A-Za-z0-9_.-]+?)\.([^${}]+)\}/g;

export function substituteProperties(script: string, groups: PropertyGroup[] = []): string {
  return script.replace(PLACEHOLDER, (whole, group: string, key: string) => {
    const value = groups.find((g) => g.PropertyGroupId === group)?.PropertyMap[key];
    return value ?? whole;
  });
}

export function jobConfiguration(groups: PropertyGroup[] = []): Record<string, string> {
  return { ...(groups.find((g) => g.PropertyGroupId === SQL_CONFIG_PROPERTY_GROUP)?.PropertyMap ?? {}) };
}

/** Property groups that are Millrace's own conventions rather than the job's settings. */
export const CONVENTION_GROUPS = [SQL_FILE_PROPERTY_GROUP, SQL_CONFIG_PROPERTY_GROUP];
