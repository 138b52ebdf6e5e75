import { changeConfiguration, sqlConfigOf, type Lock } from './access.js';
import type { AnalyticsContext } from './context.js';
import { isSqlRuntime, MAX_VPC_CONFIGURATIONS, type ApplicationDoc } from './domain/application.js';
import { describeVpc } from './domain/configuration.js';
import { addInput, addOutput, addReference, describeProcessing, findInput, IdAllocator, removeOutput, removeProcessing, removeReference } from './domain/sql-config.js';
import { loggingOptionNotFound, logStreamExists, MAX_VPCS_TEXT, sqlOnly, vpcNotFound } from './errors.js';
import { invalidArgument } from '../protocol/errors.js';
import { beginConfigurationChange } from './update.js';

/**
 * The Add…/Delete… operations both APIs share (§2.2, §2.3): each makes a new version. SQL inputs,
 * outputs and reference data exist only on SQL applications (v1, and v2's SQL-1_0).
 */

function sqlChange(context: AnalyticsContext, name: string, lock: Lock, change: (app: ApplicationDoc, ids: IdAllocator) => void): Promise<ApplicationDoc> {
  return changeConfiguration(context, name, lock, true, (app) => {
    if (!isSqlRuntime(app.config.runtime)) throw sqlOnly(context.operation);
    change(app, new IdAllocator(app.versionId));
  });
}

export const addApplicationInput = (context: AnalyticsContext, name: string, lock: Lock, input: Record<string, any>) =>
  sqlChange(context, name, lock, (app, ids) => void addInput(sqlConfigOf(app), input, ids));

export const addApplicationOutput = (context: AnalyticsContext, name: string, lock: Lock, output: Record<string, any>) =>
  sqlChange(context, name, lock, (app, ids) => void addOutput(sqlConfigOf(app), output, ids));

export const deleteApplicationOutput = (context: AnalyticsContext, name: string, lock: Lock, id: string) =>
  sqlChange(context, name, lock, (app) => removeOutput(sqlConfigOf(app), id));

export const addApplicationReferenceDataSource = (context: AnalyticsContext, name: string, lock: Lock, reference: Record<string, any>) =>
  sqlChange(context, name, lock, (app, ids) => void addReference(sqlConfigOf(app), reference, ids));

export const deleteApplicationReferenceDataSource = (context: AnalyticsContext, name: string, lock: Lock, id: string) =>
  sqlChange(context, name, lock, (app) => removeReference(sqlConfigOf(app), id));

/** UNVERIFIED text: an input that already has a preprocessor. */
export const PROCESSING_EXISTS = (id: string) => `Input ${id} already has an input processing configuration.`;

export const addApplicationInputProcessingConfiguration = (context: AnalyticsContext, name: string, lock: Lock, inputId: string, processing: Record<string, any>) =>
  sqlChange(context, name, lock, (app) => {
    const input = findInput(sqlConfigOf(app), inputId);
    if (input.InputProcessingConfigurationDescription) throw invalidArgument(PROCESSING_EXISTS(inputId));
    input.InputProcessingConfigurationDescription = describeProcessing(processing);
  });

export const deleteApplicationInputProcessingConfiguration = (context: AnalyticsContext, name: string, lock: Lock, inputId: string) =>
  sqlChange(context, name, lock, (app) => removeProcessing(sqlConfigOf(app), inputId));

/** v1's lock is the version alone; v2's may be the ConditionalToken. Returns the v2 OperationId too. */
export async function addCloudWatchLoggingOption(context: AnalyticsContext, name: string, lock: Lock, option: { LogStreamARN: string; RoleARN?: string }, versionRequired: boolean) {
  return beginConfigurationChange(
    context,
    name,
    lock,
    versionRequired,
    'AddApplicationCloudWatchLoggingOption',
    (app) => {
      if (app.config.cloudWatch.some((o) => o.LogStreamARN === option.LogStreamARN)) throw logStreamExists(option.LogStreamARN);
      const described: ApplicationDoc['config']['cloudWatch'][number] = { CloudWatchLoggingOptionId: new IdAllocator(app.versionId).next(), LogStreamARN: option.LogStreamARN };
      if (option.RoleARN !== undefined) described.RoleARN = option.RoleARN;
      app.config.cloudWatch.push(described);
    },
    { restart: false },
  );
}

export async function deleteCloudWatchLoggingOption(context: AnalyticsContext, name: string, lock: Lock, id: string, versionRequired: boolean) {
  return beginConfigurationChange(
    context,
    name,
    lock,
    versionRequired,
    'DeleteApplicationCloudWatchLoggingOption',
    (app) => {
      const index = app.config.cloudWatch.findIndex((o) => o.CloudWatchLoggingOptionId === id);
      if (index < 0) throw loggingOptionNotFound(id);
      app.config.cloudWatch.splice(index, 1);
    },
    { restart: false },
  );
}

export async function addVpcConfiguration(context: AnalyticsContext, name: string, lock: Lock, vpc: { SubnetIds: string[]; SecurityGroupIds: string[] }) {
  let described: Record<string, any> = {};
  const result = await beginConfigurationChange(context, name, lock, false, 'AddApplicationVpcConfiguration', (app) => {
    if (app.config.vpcs.length >= MAX_VPC_CONFIGURATIONS) throw invalidArgument(MAX_VPCS_TEXT);
    described = describeVpc(vpc, new IdAllocator(app.versionId).next());
    app.config.vpcs.push(described);
  });
  return { ...result, described };
}

export async function deleteVpcConfiguration(context: AnalyticsContext, name: string, lock: Lock, id: string) {
  return beginConfigurationChange(context, name, lock, false, 'DeleteApplicationVpcConfiguration', (app) => {
    const index = app.config.vpcs.findIndex((v) => v.VpcConfigurationId === id);
    if (index < 0) throw vpcNotFound(id);
    app.config.vpcs.splice(index, 1);
  });
}
