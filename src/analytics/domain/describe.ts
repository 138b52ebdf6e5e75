import { MAINTENANCE_WINDOW_HOURS, type ApplicationConfig, type ApplicationDoc, type ApplicationStatus } from './application.js';
import type { VersionDoc } from './applications.js';

/** What an ApplicationDetail is rendered from: the application, or one of its versions over it. */
type Rendered = Pick<ApplicationDoc, 'name' | 'arn' | 'createMillis' | 'lastUpdateMillis' | 'status' | 'versionId' | 'versionCreateMillis' | 'config'> &
  Partial<Pick<ApplicationDoc, 'conditionalToken' | 'maintenanceWindowStart' | 'versionUpdatedFrom' | 'rolledBackFrom' | 'rolledBackTo' | 'run'>>;

const date = (millis: number | undefined) => (millis === undefined ? undefined : new Date(millis));

/** v2 ApplicationDetail [m2]. */
export function v2Detail(app: Rendered): Record<string, unknown> {
  const c = app.config;
  return prune({
    ApplicationARN: app.arn,
    ApplicationDescription: c.description,
    ApplicationName: app.name,
    RuntimeEnvironment: c.runtime,
    ServiceExecutionRole: c.serviceExecutionRole,
    ApplicationStatus: app.status,
    ApplicationVersionId: app.versionId,
    CreateTimestamp: date(app.createMillis),
    LastUpdateTimestamp: date(app.lastUpdateMillis),
    ApplicationConfigurationDescription: configurationDescription(c, app),
    CloudWatchLoggingOptionDescriptions: c.cloudWatch.length ? c.cloudWatch : undefined,
    ApplicationMaintenanceConfigurationDescription: app.maintenanceWindowStart
      ? { ApplicationMaintenanceWindowStartTime: app.maintenanceWindowStart, ApplicationMaintenanceWindowEndTime: maintenanceEnd(app.maintenanceWindowStart) }
      : undefined,
    ApplicationVersionUpdatedFrom: app.versionUpdatedFrom,
    ApplicationVersionRolledBackFrom: app.rolledBackFrom,
    ApplicationVersionRolledBackTo: app.rolledBackTo,
    ApplicationVersionCreateTimestamp: date(app.versionCreateMillis),
    ConditionalToken: app.conditionalToken,
    ApplicationMode: c.mode,
  });
}

function configurationDescription(c: ApplicationConfig, app: Rendered): Record<string, unknown> {
  return {
    ApplicationCodeConfigurationDescription: c.code
      ? {
          CodeContentType: c.code.type,
          CodeContentDescription: {
            TextContent: c.code.text,
            CodeMD5: c.code.md5,
            CodeSize: c.code.size,
            S3ApplicationCodeLocationDescription: c.code.s3,
          },
        }
      : undefined,
    RunConfigurationDescription:
      c.flink || app.run
        ? {
            ApplicationRestoreConfigurationDescription: {
              ApplicationRestoreType: app.run?.restoreType ?? 'RESTORE_FROM_LATEST_SNAPSHOT',
              SnapshotName: app.run?.snapshotName,
            },
            FlinkRunConfigurationDescription: c.flink ? { AllowNonRestoredState: app.run?.allowNonRestoredState ?? false } : undefined,
          }
        : undefined,
    FlinkApplicationConfigurationDescription: c.flink
      ? {
          CheckpointConfigurationDescription: c.flink.checkpoint,
          MonitoringConfigurationDescription: c.flink.monitoring,
          ParallelismConfigurationDescription: { ...c.flink.parallelism, CurrentParallelism: c.flink.parallelism.Parallelism },
        }
      : undefined,
    EnvironmentPropertyDescriptions: c.properties ? { PropertyGroupDescriptions: c.properties } : undefined,
    ApplicationSnapshotConfigurationDescription: c.snapshotsEnabled === undefined ? undefined : { SnapshotsEnabled: c.snapshotsEnabled },
    ApplicationSystemRollbackConfigurationDescription: c.rollbackEnabled === undefined ? undefined : { RollbackEnabled: c.rollbackEnabled },
    VpcConfigurationDescriptions: c.vpcs.length ? c.vpcs : undefined,
    SqlApplicationConfigurationDescription: c.sql
      ? { InputDescriptions: c.sql.inputs, OutputDescriptions: c.sql.outputs, ReferenceDataSourceDescriptions: c.sql.references }
      : undefined,
    ZeppelinApplicationConfigurationDescription: c.zeppelin,
    ApplicationEncryptionConfigurationDescription: c.encryption,
  };
}

export function maintenanceEnd(start: string): string {
  const [h, m] = start.split(':').map(Number);
  return `${String((h + MAINTENANCE_WINDOW_HOURS) % 24).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

/** Over a version: the version's configuration and identity, the application's name and ARN. */
export function versionView(app: ApplicationDoc, version: VersionDoc): Rendered {
  return {
    name: app.name,
    arn: app.arn,
    createMillis: app.createMillis,
    lastUpdateMillis: version.createMillis,
    status: version.status,
    versionId: version.versionId,
    versionCreateMillis: version.createMillis,
    config: version.config,
    versionUpdatedFrom: version.versionUpdatedFrom,
    rolledBackFrom: version.rolledBackFrom,
    rolledBackTo: version.rolledBackTo,
  };
}

/** The v1 status enum lacks v2's statuses (§1 fact 4): shown as the nearest v1 one. */
export function v1Status(status: ApplicationStatus): string {
  switch (status) {
    case 'FORCE_STOPPING':
      return 'STOPPING';
    case 'AUTOSCALING':
    case 'ROLLING_BACK':
    case 'MAINTENANCE':
      return 'UPDATING';
    case 'ROLLED_BACK':
      return 'READY';
    default:
      return status;
  }
}

/** v1 ApplicationDetail [m1]. */
export function v1Detail(app: ApplicationDoc): Record<string, unknown> {
  const c = app.config;
  return prune({
    ApplicationName: app.name,
    ApplicationDescription: c.description,
    ApplicationARN: app.arn,
    ApplicationStatus: v1Status(app.status),
    CreateTimestamp: date(app.createMillis),
    LastUpdateTimestamp: date(app.lastUpdateMillis),
    InputDescriptions: c.sql?.inputs ?? [],
    OutputDescriptions: c.sql?.outputs ?? [],
    ReferenceDataSourceDescriptions: c.sql?.references ?? [],
    CloudWatchLoggingOptionDescriptions: c.cloudWatch,
    ApplicationCode: c.code?.text,
    ApplicationVersionId: app.versionId,
  });
}

/** Drops undefined members (deeply), so that the wire shows only what is set. */
export function prune<T>(value: T): T {
  if (Array.isArray(value)) return value.map(prune) as T;
  if (value && typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = prune(v);
    return out as T;
  }
  return value;
}

/** SnapshotDetails [m2]. */
export function snapshotDetails(s: import('./snapshots.js').SnapshotDoc): Record<string, unknown> {
  return prune({
    SnapshotName: s.name,
    SnapshotStatus: s.status,
    ApplicationVersionId: s.versionId,
    SnapshotCreationTimestamp: new Date(s.createMillis),
    RuntimeEnvironment: s.runtime,
    ApplicationEncryptionConfigurationDescription: s.encryption,
  });
}
