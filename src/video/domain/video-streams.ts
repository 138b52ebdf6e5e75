import type { Logger } from 'pino';
import type { Store } from '../../store/store.js';
import { invalidArgument, STREAM_NAME_ARN_MISMATCH, STREAM_NAME_OR_ARN_REQUIRED, streamNotFound } from '../errors.js';
import { LifecycleDocuments, settledStatus } from './lifecycle-documents.js';
import { parseResourceArn } from './resource-arn.js';
import { ALL_VIDEO_STREAMS_PREFIX, videoStreamKey, videoStreamPrefix, type VideoStreamDoc } from './video-stream.js';

/** How an input names a stream: the model's `StreamName` and/or `StreamARN` members. */
export interface StreamRef {
  StreamName?: string;
  StreamARN?: string;
}

/**
 * Video stream documents with their lifecycle (§2.3). Media operations resolve a stream through
 * `find`; the control plane also writes through `create` and `update`.
 */
export class VideoStreams {
  private readonly documents: LifecycleDocuments<VideoStreamDoc>;

  constructor(store: Store, log?: Logger) {
    this.documents = new LifecycleDocuments<VideoStreamDoc>(
      store,
      settledStatus(
        (doc) => doc.Status,
        (doc, Status) => ({ ...doc, Status }),
      ),
      log,
    );
  }

  /**
   * The stream an input names, in whatever status it is (DELETING ones included: callers that
   * serve media check `Status`), or AWS's ResourceNotFoundException. A StreamARN must name this
   * incarnation of the stream (the ARN's suffix is its creation time).
   */
  async find(account: string, region: string, ref: StreamRef): Promise<VideoStreamDoc> {
    const stream = await this.lookUp(account, region, ref);
    if (!stream) throw streamNotFound();
    return stream;
  }

  /** As `find`, undefined instead of the error for a missing stream. */
  async lookUp(account: string, region: string, ref: StreamRef): Promise<VideoStreamDoc | undefined> {
    const name = this.nameOf(account, region, ref);
    if (name === undefined) return undefined;
    const stream = (await this.documents.getVersioned(videoStreamKey(account, region, name)))?.value;
    if (!stream || (ref.StreamARN !== undefined && stream.StreamARN !== ref.StreamARN)) return undefined;
    return stream;
  }

  /** Every stream of an account in a region, in name order. */
  list(account: string, region: string): Promise<VideoStreamDoc[]> {
    return this.documents.listUnder(videoStreamPrefix(account, region));
  }

  /** Every stream of every account, transitions completed (the lifecycle sweep). */
  listAll(): Promise<VideoStreamDoc[]> {
    return this.documents.listUnder(ALL_VIDEO_STREAMS_PREFIX);
  }

  count(account: string, region: string): Promise<number> {
    return this.documents.countUnder(videoStreamPrefix(account, region));
  }

  /** False when a stream of that name exists already (in any status). */
  create(stream: VideoStreamDoc): Promise<boolean> {
    return this.documents.createAt(videoStreamKey(stream.account, stream.region, stream.StreamName), stream);
  }

  /**
   * Read-modify-write with compare-and-set (see LifecycleDocuments.updateAt) of the stream an input
   * names; AWS's ResourceNotFoundException when there is none.
   */
  async update(account: string, region: string, ref: StreamRef, change: (stream: VideoStreamDoc) => VideoStreamDoc | undefined): Promise<VideoStreamDoc> {
    const name = this.nameOf(account, region, ref);
    if (name === undefined) throw streamNotFound();
    const stored = await this.documents.updateAt(videoStreamKey(account, region, name), (stream) => {
      if (ref.StreamARN !== undefined && stream.StreamARN !== ref.StreamARN) throw streamNotFound();
      return change(stream);
    });
    if (!stored) throw streamNotFound();
    return stored;
  }

  /** Called with a deleted stream's document before it is removed (media.onStreamDeleted). */
  whenPurged(listener: (stream: VideoStreamDoc) => Promise<void>): void {
    this.documents.whenPurged(listener);
  }

  /** The stream name an input names in the caller's account and region; undefined when its ARN is another's. */
  private nameOf(account: string, region: string, ref: StreamRef): string | undefined {
    if (ref.StreamARN === undefined) {
      if (ref.StreamName === undefined) throw invalidArgument(STREAM_NAME_OR_ARN_REQUIRED);
      return ref.StreamName;
    }
    const arn = parseResourceArn(ref.StreamARN);
    if (!arn || arn.kind !== 'stream' || arn.account !== account || arn.region !== region) return undefined;
    if (ref.StreamName !== undefined && ref.StreamName !== arn.name) throw invalidArgument(STREAM_NAME_ARN_MISMATCH);
    return arn.name;
  }
}
