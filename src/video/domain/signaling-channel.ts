/**
 * A signaling channel (WebRTC, VIDEO-SPEC §2.3) as Millrace keeps it: one metadata document. The
 * channel exists for the control plane (CRUD, tags, endpoints, media storage); Millrace relays no
 * signaling messages (README "Kinesis Video Streams").
 */
export type ChannelStatus = 'CREATING' | 'ACTIVE' | 'UPDATING' | 'DELETING';

export interface SignalingChannelDoc {
  account: string;
  region: string;
  ChannelName: string;
  /** `arn:aws:kinesisvideo:{region}:{account}:channel/{name}/{creationMillis}` (§2.3). */
  ChannelARN: string;
  ChannelType: 'SINGLE_MASTER' | 'FULL_MESH';
  ChannelStatus: ChannelStatus;
  /** Epoch ms. */
  CreationTime: number;
  SingleMasterConfiguration: { MessageTtlSeconds: number };
  Version: string;
  tags: Record<string, string>;
  /** UpdateMediaStorageConfiguration's `MediaStorageConfiguration` (default DISABLED, no stream). */
  mediaStorage: { Status: 'ENABLED' | 'DISABLED'; StreamARN?: string };
  pendingUntil?: number;
}

/** The model's documented default MessageTtlSeconds. */
export const DEFAULT_MESSAGE_TTL_SECONDS = 60;

export const ALL_CHANNELS_PREFIX = 'video/channels/';
export const channelPrefix = (account: string, region: string): string => `${ALL_CHANNELS_PREFIX}${account}/${region}/`;
export const channelKey = (account: string, region: string, name: string): string => `${channelPrefix(account, region)}${name}`;

export const channelArn = (region: string, account: string, name: string, creationMillis: number): string =>
  `arn:aws:kinesisvideo:${region}:${account}:channel/${name}/${creationMillis}`;

/** The model's ChannelInfo. */
export function channelInfo(channel: SignalingChannelDoc): Record<string, unknown> {
  return {
    ChannelName: channel.ChannelName,
    ChannelARN: channel.ChannelARN,
    ChannelType: channel.ChannelType,
    ChannelStatus: channel.ChannelStatus,
    CreationTime: new Date(channel.CreationTime),
    SingleMasterConfiguration: channel.SingleMasterConfiguration,
    Version: channel.Version,
  };
}
