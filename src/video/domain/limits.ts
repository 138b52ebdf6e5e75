/** Control-plane limits, each next to the spec fact it comes from. */

/** §2.3: DataRetentionInHours max (10 years); the model only says min 0. */
export const MAX_DATA_RETENTION_HOURS = 87_600;
/** §2.4: streams per account (soft quota), enforced with --enforce-limits. */
export const MAX_STREAMS_PER_ACCOUNT = 10_000;
/** Signaling channels per account (AWS's quota page: 10,000 soft), enforced with --enforce-limits. UNVERIFIED. */
export const MAX_CHANNELS_PER_ACCOUNT = 10_000;
/** §2.3: tags per resource, counted after a Tag* call. */
export const MAX_TAGS_PER_RESOURCE = 50;
/** The SDK's documentation of ListStreams: MaxResults defaults to 10,000. */
export const LIST_STREAMS_DEFAULT_MAX_RESULTS = 10_000;
/** The SDK's documentation of ListSignalingChannels: MaxResults defaults to 500. */
export const LIST_CHANNELS_DEFAULT_MAX_RESULTS = 500;
/** The SDK's documentation of ListEdgeAgentConfigurations: MaxResults defaults to 5. */
export const LIST_EDGE_DEFAULT_MAX_RESULTS = 5;
/** Tags per page of ListTagsForStream / ListTagsForResource: a resource has at most 50, so one page holds them all. */
export const LIST_TAGS_PAGE = MAX_TAGS_PER_RESOURCE;
/** The SDK's documentation of ImageGenerationConfiguration.SamplingInterval: at least 200 ms. */
export const MIN_IMAGE_SAMPLING_INTERVAL_MS = 200;
/** The SDK's documentation of FormatConfig: JPEGQuality takes integers 1 to 100. */
export const JPEG_QUALITY_RANGE = [1, 100] as const;
/**
 * The SDK's documentation of StartEdgeConfigurationUpdate: an edge configuration no Edge Agent
 * acknowledges is retried for 15 minutes, then SYNC_FAILED.
 */
export const EDGE_SYNC_TIMEOUT_MS = 15 * 60_000;
