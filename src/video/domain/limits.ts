/** Control-plane limits, each next to the spec fact it comes from. */

/** §2.3: DataRetentionInHours max (10 years); the model only says min 0. */
export const MAX_DATA_RETENTION_HOURS = 87_600;
/** §2.4: streams per account (soft quota), enforced with --enforce-limits. */
export const MAX_STREAMS_PER_ACCOUNT = 10_000;
/** Signaling channels per account (AWS's quota page: 10,000 soft), enforced with --enforce-limits. UNVERIFIED. */
export const MAX_CHANNELS_PER_ACCOUNT = 10_000;
/** §2.3: tags per resource, counted after a Tag* call. */
export const MAX_TAGS_PER_RESOURCE = 50;
/** The model documents ListStreams' and ListSignalingChannels' MaxResults default as 10,000. */
export const DEFAULT_LIST_MAX_RESULTS = 10_000;
