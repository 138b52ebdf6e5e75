import type { Logger } from 'pino';
import type { Scope } from './streams.js';

/**
 * Stream lifecycle events at `info`: one structured line each, naming the stream and what changed,
 * so that operators can follow streams without per-request noise (requests log at debug, DESIGN.md
 * "Edges"). `event` is stable for log queries; the message repeats it for people.
 */
export type StreamEvent = 'created' | 'deleted' | 'resharded' | 'scaled' | 'mode changed' | 'encryption changed';

export function logStreamEvent(log: Logger | undefined, stream: Scope & { name: string }, event: StreamEvent, change: Record<string, unknown>): void {
  log?.info({ event: `stream ${event}`, account: stream.account, region: stream.region, stream: stream.name, ...change }, `stream ${event}`);
}
