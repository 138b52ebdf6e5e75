import { changeApplication } from '../../access.js';
import type { AnalyticsContext } from '../../context.js';
import { isFlinkRuntime } from '../../domain/application.js';
import { maintenanceEnd } from '../../domain/describe.js';
import { flinkOnly, wrongStatus } from '../../errors.js';

/** The maintenance window's start (its HH:MM form is the model's pattern) (its end follows 8 hours later); not a configuration version. */
export default async function UpdateApplicationMaintenanceConfiguration(input: any, context: AnalyticsContext) {
  const start: string = input.ApplicationMaintenanceConfigurationUpdate.ApplicationMaintenanceWindowStartTimeUpdate;
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
