import { noDataRetention, streamNotActive, versionMismatch } from '../errors.js';
import { newVersion } from './version.js';
import type { VideoStreamDoc } from './video-stream.js';

/**
 * The common rule of the asynchronous stream updates (UpdateStream, UpdateDataRetention,
 * UpdateStreamStorageConfiguration): CurrentVersion must be the stream's Version, the stream must
 * be ACTIVE; the change gets a new Version and the stream is UPDATING for `delayMs`.
 */
export function asyncUpdate(stream: VideoStreamDoc, currentVersion: string, delayMs: number, change: Partial<VideoStreamDoc>): VideoStreamDoc {
  if (currentVersion !== stream.Version) throw versionMismatch(currentVersion, stream.Version);
  if (stream.Status !== 'ACTIVE') throw streamNotActive(stream.StreamName, stream.Status);
  return { ...stream, ...change, Version: newVersion(), Status: 'UPDATING', pendingUntil: Date.now() + delayMs };
}

/** Configurations that work on retained media (image generation, notifications, edge) need a stream that retains data (§2.3). */
export function requireRetention(stream: VideoStreamDoc): void {
  if (stream.DataRetentionInHours === 0) throw noDataRetention();
}

/** Configuration changes that are not asynchronous still need a stream that is not changing already. */
export function requireActive(stream: VideoStreamDoc): void {
  if (stream.Status !== 'ACTIVE') throw streamNotActive(stream.StreamName, stream.Status);
}
