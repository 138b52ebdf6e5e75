import { AwsError, invalidArgument, limitExceeded, resourceInUse, resourceNotFound } from '../protocol/errors.js';

/**
 * Kinesis Data Analytics error texts (ANALYTICS-SPEC §1, §2). Recorded ones are marked so; every
 * other text is UNVERIFIED against AWS and is one constant here, so a recording corrects it in one place.
 */

/** Recorded (§1 fact 2, cloud-custodian#6052): a v1 call on an application v2 made or changed. */
export const managedByV2 = (name: string) =>
  new AwsError('UnsupportedOperationException', `${name} was created/updated by kinesisanalyticsv2 SDK. Please use kinesisanalyticsv2 SDK to make changes to ${name}.`);

/** UNVERIFIED text. */
export const applicationNotFound = (name: string, account: string) => resourceNotFound(`Application ${name} not found under account ${account}.`);
/** UNVERIFIED text. */
export const applicationExists = (name: string, account: string) => resourceInUse(`Application ${name} already exists under account ${account}.`);
/** UNVERIFIED text: an operation the application's status does not allow (§2.4). */
export const wrongStatus = (name: string, status: string, operation: string) =>
  resourceInUse(`Application ${name} is in ${status} status. ${operation} cannot be performed in this status.`);

/** UNVERIFIED text: CurrentApplicationVersionId is not the application's version (§1 fact 5). */
export const versionMismatch = (name: string, current: number, given: number) =>
  new AwsError('ConcurrentModificationException', `Provided application version id ${given} does not match current application version id ${current} of application ${name}.`);
/** UNVERIFIED text: a ConditionalToken that is not the application's current one. */
export const conditionalTokenMismatch = (name: string) =>
  new AwsError('ConcurrentModificationException', `Provided ConditionalToken does not match the current ConditionalToken of application ${name}.`);
/** UNVERIFIED text: neither CurrentApplicationVersionId nor ConditionalToken. */
export const VERSION_OR_TOKEN_REQUIRED = 'Either CurrentApplicationVersionId or ConditionalToken must be provided.';
/** UNVERIFIED text: both given. */
export const VERSION_AND_TOKEN = 'Provide either CurrentApplicationVersionId or ConditionalToken, not both.';
/** UNVERIFIED text: DeleteApplication's CreateTimestamp is not the application's (§1 fact 5). */
export const createTimestampMismatch = (name: string) => invalidArgument(`CreateTimestamp provided does not match the creation timestamp of application ${name}.`);

/** UNVERIFIED text: an UpdateApplication that changes nothing. */
export const NOTHING_TO_UPDATE = 'Application update request must contain at least one update.';

/** UNVERIFIED texts of configuration that does not fit the runtime (§5.1). */
export const configNotForRuntime = (member: string, runtime: string) => invalidArgument(`${member} is not supported for RuntimeEnvironment ${runtime}.`);
export const modeNotForRuntime = (mode: string, runtime: string) => invalidArgument(`ApplicationMode ${mode} is not supported for RuntimeEnvironment ${runtime}.`);
export const runtimeChangeRefused = (from: string, to: string) => invalidArgument(`RuntimeEnvironment cannot be updated from ${from} to ${to}.`);
export const CODE_REQUIRED = 'ApplicationCodeConfiguration is required for this application.';
export const ZIP_CONTENT_REQUIRED = 'ZipFileContent or S3ContentLocation must be provided when CodeContentType is ZIPFILE.';
export const TEXT_CONTENT_REQUIRED = 'TextContent must be provided when CodeContentType is PLAINTEXT.';
export const ONE_CODE_CONTENT = 'Exactly one of TextContent, ZipFileContent or S3ContentLocation must be provided.';
/** UNVERIFIED text: the code object named by S3ContentLocation cannot be read. */
export const codeObjectMissing = (bucketArn: string, key: string, why: string) =>
  invalidArgument(`Unable to read application code from ${bucketArn}/${key}: ${why}.`);

/** UNVERIFIED texts for ids inside an application. */
export const inputNotFound = (id: string) => resourceNotFound(`Input with id ${id} not found.`);
/** UNVERIFIED text: a start's InputConfigurations / SqlRunConfigurations naming an input the application lacks. */
export const startInputNotFound = (id: string) => invalidArgument(`Input with id ${id} not found.`);
export const outputNotFound = (id: string) => resourceNotFound(`Output with id ${id} not found.`);
export const referenceNotFound = (id: string) => resourceNotFound(`Reference data source with id ${id} not found.`);
export const loggingOptionNotFound = (id: string) => resourceNotFound(`CloudWatch logging option with id ${id} not found.`);
export const vpcNotFound = (id: string) => resourceNotFound(`VPC configuration with id ${id} not found.`);
export const processingNotFound = (id: string) => resourceNotFound(`Input processing configuration not found for input ${id}.`);
export const logStreamExists = (arn: string) => invalidArgument(`CloudWatch logging option with LogStreamARN ${arn} already exists.`);
/** From the v1 API reference: "one streaming source", "up to three destinations" (§2.2). */
export const ONE_INPUT = 'Application can have at most one input.';
export const MAX_OUTPUTS_TEXT = (max: number) => `Application can have at most ${max} outputs.`;
export const MAX_VPCS_TEXT = 'Application can have at most one VPC configuration.';
export const INPUT_NEEDS_SOURCE = 'Input must have exactly one of KinesisStreamsInput or KinesisFirehoseInput.';
export const OUTPUT_NEEDS_DESTINATION = 'Output must have exactly one of KinesisStreamsOutput, KinesisFirehoseOutput or LambdaOutput.';
export const sqlOnly = (operation: string) => invalidArgument(`${operation} is only supported for SQL-1_0 applications.`);
export const flinkOnly = (operation: string) => new AwsError('UnsupportedOperationException', `${operation} is only supported for Apache Flink applications.`);

/** The SQL-1_0 runtime is retired by AWS (§1 fact 3) and not run by this server (issue 15 §2). */
export const sqlRuntimeNotRun = (name: string) =>
  new AwsError(
    'UnsupportedOperationException',
    `Application ${name} uses the SQL-1_0 runtime (Kinesis Data Analytics for SQL), which AWS has retired and this server does not run: it can be created, described and updated, not started.`,
  );

/** UNVERIFIED texts for runs. */
export const forceStopSql = (name: string) => invalidArgument(`Force stop is not supported for SQL-based application ${name}.`);
export const snapshotNotFound = (name: string, snapshot: string) => resourceNotFound(`Snapshot ${snapshot} not found for application ${name}.`);
export const snapshotExists = (name: string, snapshot: string) => invalidArgument(`Snapshot ${snapshot} already exists for application ${name}.`);
export const snapshotTimestampMismatch = (snapshot: string) => invalidArgument(`SnapshotCreationTimestamp provided does not match the creation timestamp of snapshot ${snapshot}.`);
export const snapshotsDisabled = (name: string) =>
  new AwsError('InvalidApplicationConfigurationException', `Snapshots are not enabled for application ${name}.`);
export const SNAPSHOT_NAME_REQUIRED = 'SnapshotName is required when ApplicationRestoreType is RESTORE_FROM_CUSTOM_SNAPSHOT.';
export const snapshotQuota = (max: number) => limitExceeded(`An application can have at most ${max} snapshots.`);
export const operationNotFound = (id: string) => resourceNotFound(`Operation ${id} not found.`);
export const versionNotFound = (name: string, version: number) => resourceNotFound(`Application version ${version} not found for application ${name}.`);
export const noVersionToRollBackTo = (name: string) => invalidArgument(`Application ${name} has no earlier version to roll back to.`);
export const appQuota = (max: number) => limitExceeded(`You have reached the limit of ${max} applications.`);
export const tooManyTags = (max: number) => new AwsError('TooManyTagsException', `Application can have at most ${max} tags.`);
export const invalidResourceArn = (arn: string) => invalidArgument(`Invalid ResourceARN ${arn}.`);
/** UNVERIFIED text: a presigned URL for a URL type that does not fit the application. */
export const urlTypeNotForRuntime = (urlType: string, runtime: string) => invalidArgument(`UrlType ${urlType} is not supported for RuntimeEnvironment ${runtime}.`);
