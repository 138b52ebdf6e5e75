import type { GlueContext } from '../context.js';
import { resolveResourceArn } from '../resource-arn.js';

/** Tags of a database or table (Terraform's aws_glue_catalog_database reads them after every change). */
export default async function getTags(input: { ResourceArn: string }, context: GlueContext) {
  const { scope, arn } = await resolveResourceArn(input.ResourceArn, context);
  return { Tags: (await context.catalog.getTags(scope, arn))?.value ?? {} };
}
