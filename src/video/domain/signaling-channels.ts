import type { Logger } from 'pino';
import type { Store } from '../../store/store.js';
import { CHANNEL_NAME_ARN_MISMATCH, CHANNEL_NAME_OR_ARN_REQUIRED, channelNotFound, invalidArgument } from '../errors.js';
import { LifecycleDocuments, settledStatus } from './lifecycle-documents.js';
import { parseResourceArn } from './resource-arn.js';
import { ALL_CHANNELS_PREFIX, channelKey, channelPrefix, type SignalingChannelDoc } from './signaling-channel.js';

/** How an input names a channel: `ChannelName` and/or `ChannelARN`. */
export interface ChannelRef {
  ChannelName?: string;
  ChannelARN?: string;
}

/** Signaling channel documents with their lifecycle, as VideoStreams keeps streams. */
export class SignalingChannels {
  private readonly documents: LifecycleDocuments<SignalingChannelDoc>;

  constructor(store: Store, log?: Logger) {
    this.documents = new LifecycleDocuments<SignalingChannelDoc>(
      store,
      settledStatus(
        (doc) => doc.ChannelStatus,
        (doc, ChannelStatus) => ({ ...doc, ChannelStatus }),
      ),
      log,
    );
  }

  /** The channel an input names (any status), or ResourceNotFoundException. */
  async find(account: string, region: string, ref: ChannelRef): Promise<SignalingChannelDoc> {
    const name = this.nameOf(account, region, ref);
    const channel = name === undefined ? undefined : (await this.documents.getVersioned(channelKey(account, region, name)))?.value;
    if (!channel || (ref.ChannelARN !== undefined && channel.ChannelARN !== ref.ChannelARN)) throw channelNotFound();
    return channel;
  }

  list(account: string, region: string): Promise<SignalingChannelDoc[]> {
    return this.documents.listUnder(channelPrefix(account, region));
  }

  listAll(): Promise<SignalingChannelDoc[]> {
    return this.documents.listUnder(ALL_CHANNELS_PREFIX);
  }

  count(account: string, region: string): Promise<number> {
    return this.documents.countUnder(channelPrefix(account, region));
  }

  create(channel: SignalingChannelDoc): Promise<boolean> {
    return this.documents.createAt(channelKey(channel.account, channel.region, channel.ChannelName), channel);
  }

  async update(account: string, region: string, ref: ChannelRef, change: (channel: SignalingChannelDoc) => SignalingChannelDoc | undefined): Promise<SignalingChannelDoc> {
    const name = this.nameOf(account, region, ref);
    if (name === undefined) throw channelNotFound();
    const stored = await this.documents.updateAt(channelKey(account, region, name), (channel) => {
      if (ref.ChannelARN !== undefined && channel.ChannelARN !== ref.ChannelARN) throw channelNotFound();
      return change(channel);
    });
    if (!stored) throw channelNotFound();
    return stored;
  }

  private nameOf(account: string, region: string, ref: ChannelRef): string | undefined {
    if (ref.ChannelARN === undefined) {
      if (ref.ChannelName === undefined) throw invalidArgument(CHANNEL_NAME_OR_ARN_REQUIRED);
      return ref.ChannelName;
    }
    const arn = parseResourceArn(ref.ChannelARN);
    if (!arn || arn.kind !== 'channel' || arn.account !== account || arn.region !== region) return undefined;
    if (ref.ChannelName !== undefined && ref.ChannelName !== arn.name) throw invalidArgument(CHANNEL_NAME_ARN_MISMATCH);
    return arn.name;
  }
}
