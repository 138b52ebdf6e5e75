import { changeApplication } from '../../access.js';
import type { AnalyticsContext } from '../../context.js';
import { isFlinkRuntime } from '../../domain/application.js';
import { maintenanceEnd } from '../../domain/describe.js';
import { flinkOnly, invalidMaintenanceWindow, wrongStatus } from '../../errors.js';

const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** The maintenance window's start (its end follows 8 hours later); not a configuration version. */
export default async function UpdateApplicationMaintenanceConfiguration(input: any, context: AnalyticsContext) {
  const start: string = input.ApplicationMaintenanceConfigurationUpdate.ApplicationMaintenanceWindowStartTimeUpdate;
  if (!HH_MM.test(start)) throw invalidMaintenanceWindow(start);
  const app = await changeApplication(context, input.ApplicationName, (doc) => {
    if (!isFlinkRuntime(doc.config.runtime)) throw flinkOnly(context.operation);
    if (doc.status !== 'READY' && doc.status !== 'RUNNING') throw wrongStatus(doc.name, doc.status, context.operation);
    doc.maintenanceWindowStart = start;
  });
  return {
    ApplicationARN: app.arn,
    ApplicationMaintenanceConfigurationDescription: { ApplicationMaintenanceWindowStartTime: start, ApplicationMaintenanceWindowEndTime: maintenanceEnd(start) },
  };
}
