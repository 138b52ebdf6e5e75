import { AwsError } from '../protocol/errors.js';

/**
 * Glue's errors. Glue's exception shapes name their text `Message` (model: EntityNotFoundException,
 * AlreadyExistsException, InvalidInputException, ConcurrentModificationException), and AWS's Glue
 * answers carry it under that name, e.g. `{"__type":"EntityNotFoundException","Message":"Table t not found."}`.
 */
export class GlueError extends AwsError {
  override toBody(): Record<string, unknown> {
    return { __type: this.type, Message: this.message };
  }
}

/** Recorded: "Database <name> not found." (terraform-provider-aws #35954, apache/iceberg #6523 for tables). */
export const databaseNotFound = (name: string) => new GlueError('EntityNotFoundException', `Database ${name} not found.`);
/** Recorded: "Table taxis_b not found." (apache/iceberg #6523), "Table 14465_<name> not found." (terraform-provider-aws #35954). */
export const tableNotFound = (name: string) => new GlueError('EntityNotFoundException', `Table ${name} not found.`);
/** Recorded: "Database already exists." (moj-analytical-services/etl_manager #71). */
export const databaseAlreadyExists = () => new GlueError('AlreadyExistsException', 'Database already exists.');
/** Recorded: "Table already exists." (estuary/connectors #1685). */
export const tableAlreadyExists = () => new GlueError('AlreadyExistsException', 'Table already exists.');
export const invalidInput = (message: string) => new GlueError('InvalidInputException', message);
export const concurrentModification = (message: string) => new GlueError('ConcurrentModificationException', message);

/** Without TableInput (the model allows it for OpenTableFormatInput, which Millrace does not serve). Text UNVERIFIED. */
export const TABLE_INPUT_REQUIRED_MESSAGE = 'TableInput is required';
/** Two writers changing the same entry at once: the loser is told so. Text UNVERIFIED. */
export const CONCURRENT_UPDATE_MESSAGE = 'Concurrent modification: the entry was changed by another request; retry.';
