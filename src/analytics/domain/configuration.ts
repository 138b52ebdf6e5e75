import { invalidArgument } from '../../protocol/errors.js';
import {
  CODE_REQUIRED,
  configNotForRuntime,
  modeNotForRuntime,
  ONE_CODE_CONTENT,
  TEXT_CONTENT_REQUIRED,
  ZIP_CONTENT_REQUIRED,
} from '../errors.js';
import {
  DEFAULT_CHECKPOINT,
  DEFAULT_MONITORING,
  DEFAULT_PARALLELISM,
  isFlinkRuntime,
  isSqlRuntime,
  isZeppelinRuntime,
  type ApplicationConfig,
  type FlinkConfig,
} from './application.js';
import type { CodeInput } from './code.js';

/**
 * v2 ApplicationConfiguration → the stored configuration, and ApplicationConfigurationUpdate over
 * it (ANALYTICS-SPEC §2.3). Which parts fit which runtime (§5.1): Flink settings, snapshots and
 * rollback for FLINK-*, SQL inputs/outputs for SQL-1_0, Zeppelin settings for ZEPPELIN-*.
 */

/** Checks the runtime/mode/configuration combination of a v2 CreateApplication. */
export function checkCreate(runtime: string, mode: string | undefined, configuration: Record<string, any> | undefined): void {
  const c = configuration ?? {};
  if (mode === 'INTERACTIVE' && !isZeppelinRuntime(runtime)) throw modeNotForRuntime(mode, runtime);
  if (isZeppelinRuntime(runtime) && mode !== 'INTERACTIVE') throw modeNotForRuntime(mode ?? 'STREAMING', runtime);
  for (const [member, fits] of [
    ['FlinkApplicationConfiguration', isFlinkRuntime(runtime)],
    ['SqlApplicationConfiguration', isSqlRuntime(runtime)],
    ['ZeppelinApplicationConfiguration', isZeppelinRuntime(runtime)],
    ['ApplicationSnapshotConfiguration', isFlinkRuntime(runtime)],
    ['ApplicationSystemRollbackConfiguration', isFlinkRuntime(runtime)],
  ] as const) {
    if (c[member] && !fits) throw configNotForRuntime(member, runtime);
  }
  if (isZeppelinRuntime(runtime)) {
    if (c.ApplicationCodeConfiguration) throw configNotForRuntime('ApplicationCodeConfiguration', runtime);
  } else if (!c.ApplicationCodeConfiguration && isFlinkRuntime(runtime)) {
    throw invalidArgument(CODE_REQUIRED);
  }
  if (c.ApplicationCodeConfiguration) checkCodeContent(c.ApplicationCodeConfiguration.CodeContentType, c.ApplicationCodeConfiguration.CodeContent ?? {});
}

/** PLAINTEXT needs TextContent; ZIPFILE a zip inline or in S3; exactly one of them (§2.3). */
export function checkCodeContent(type: string, content: CodeInput): void {
  const given = [content.TextContent, content.ZipFileContent, content.S3ContentLocation].filter((v) => v !== undefined).length;
  if (given > 1) throw invalidArgument(ONE_CODE_CONTENT);
  if (type === 'PLAINTEXT' && content.TextContent === undefined) throw invalidArgument(TEXT_CONTENT_REQUIRED);
  if (type === 'ZIPFILE' && content.ZipFileContent === undefined && content.S3ContentLocation === undefined) throw invalidArgument(ZIP_CONTENT_REQUIRED);
}

/** A Flink configuration: DEFAULT parts take AWS's defaults whatever else they say, CUSTOM ones what they say. */
export function flinkConfig(input: Record<string, any> | undefined, current?: FlinkConfig): FlinkConfig {
  const pick = <T extends { ConfigurationType: string }>(given: Record<string, any> | undefined, defaults: T, existing: T | undefined): T => {
    if (!given) return existing ?? { ...defaults };
    if (given.ConfigurationType === 'DEFAULT') return { ...defaults };
    const base = existing && existing.ConfigurationType === 'CUSTOM' ? existing : defaults;
    const out: Record<string, unknown> = { ...base, ConfigurationType: 'CUSTOM' };
    for (const [k, v] of Object.entries(given)) if (k !== 'ConfigurationType' && v !== undefined) out[k] = v;
    return out as T;
  };
  return {
    checkpoint: pick(input?.CheckpointConfiguration, DEFAULT_CHECKPOINT, current?.checkpoint),
    monitoring: pick(input?.MonitoringConfiguration, DEFAULT_MONITORING, current?.monitoring),
    parallelism: pick(input?.ParallelismConfiguration, DEFAULT_PARALLELISM, current?.parallelism),
  };
}

/** FlinkApplicationConfigurationUpdate: `XUpdate` members over the current configuration. */
export function flinkConfigUpdate(update: Record<string, any>, current: FlinkConfig | undefined): FlinkConfig {
  const strip = (u: Record<string, any> | undefined) =>
    u ? Object.fromEntries(Object.entries(u).map(([k, v]) => [k.replace(/Update$/, ''), v])) : undefined;
  const asInput = (u: Record<string, any> | undefined, existing: { ConfigurationType: string } | undefined) => {
    const given = strip(u);
    if (!given) return undefined;
    given.ConfigurationType ??= existing?.ConfigurationType ?? 'DEFAULT';
    return given;
  };
  return flinkConfig(
    {
      CheckpointConfiguration: asInput(update.CheckpointConfigurationUpdate, current?.checkpoint),
      MonitoringConfiguration: asInput(update.MonitoringConfigurationUpdate, current?.monitoring),
      ParallelismConfiguration: asInput(update.ParallelismConfigurationUpdate, current?.parallelism),
    },
    current,
  );
}

/** Zeppelin configuration as described (ZeppelinApplicationConfigurationDescription). */
export function zeppelinDescription(input: Record<string, any> | undefined): Record<string, any> {
  const z = input ?? {};
  const out: Record<string, any> = { MonitoringConfigurationDescription: { LogLevel: z.MonitoringConfiguration?.LogLevel ?? 'INFO' } };
  if (z.CatalogConfiguration) out.CatalogConfigurationDescription = { GlueDataCatalogConfigurationDescription: z.CatalogConfiguration.GlueDataCatalogConfiguration };
  if (z.DeployAsApplicationConfiguration) {
    out.DeployAsApplicationConfigurationDescription = { S3ContentLocationDescription: z.DeployAsApplicationConfiguration.S3ContentLocation };
  }
  if (z.CustomArtifactsConfiguration) out.CustomArtifactsConfigurationDescription = z.CustomArtifactsConfiguration.map(describeArtifact);
  return out;
}

const describeArtifact = (a: Record<string, any>) => ({ ArtifactType: a.ArtifactType, S3ContentLocationDescription: a.S3ContentLocation, MavenReferenceDescription: a.MavenReference });

/** VpcConfiguration → VpcConfigurationDescription (VpcId is unknowable here: derived from the first subnet, UNVERIFIED). */
export function describeVpc(vpc: { SubnetIds: string[]; SecurityGroupIds: string[] }, id: string): Record<string, any> {
  return { VpcConfigurationId: id, VpcId: `vpc-${vpc.SubnetIds[0]?.replace(/^subnet-/, '') ?? 'millrace'}`, SubnetIds: vpc.SubnetIds, SecurityGroupIds: vpc.SecurityGroupIds };
}

export type { ApplicationConfig };
