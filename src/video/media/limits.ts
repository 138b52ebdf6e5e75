/**
 * Kinesis Video Streams' per-stream media limits (VIDEO-SPEC §1 fact 15, §3.5, §4.2 and the current
 * quotas page). The fragment limits are hard limits of a valid fragment and always hold; rates and
 * GetMedia connection counts are enforced with --enforce-limits, like the Kinesis throttles.
 */

/** Fragment size (hard): 50 MB → ack 4001 MAX_FRAGMENT_SIZE_REACHED. */
export const MAX_FRAGMENT_BYTES = 50 * 1000 * 1000;
/** Fragment duration (hard): 20 s in the current quotas (10 s in the 2020 doc) → ack 4002. */
export const MAX_FRAGMENT_DURATION_MS = 20_000;
/** Tracks per stream (soft 3) → ack 4012 MORE_THAN_ALLOWED_TRACKS_FOUND. */
export const MAX_TRACKS = 3;
/** Producer metadata tags per fragment (hard 10) → ack 4009 FRAGMENT_METADATA_LIMIT_REACHED. */
export const MAX_FRAGMENT_METADATA_TAGS = 10;
/** PutMedia connection lifetime: 45 minutes → ack 4003 MAX_CONNECTION_DURATION_REACHED. */
export const MAX_CONNECTION_MS = 45 * 60 * 1000;

/** PutMedia bandwidth per stream (soft): 12.5 MB/s; --enforce-limits paces the upload to it. */
export const PUT_MEDIA_BYTES_PER_SECOND = 12.5 * 1000 * 1000;
/** Fragments per second per stream (hard 5); --enforce-limits paces ingest to it. */
export const PUT_MEDIA_FRAGMENTS_PER_SECOND = 5;
/** PutMedia requests per second per stream (hard 5) → ClientLimitExceededException with --enforce-limits. */
export const PUT_MEDIA_TPS = 5;

/** GetMedia connections per stream (3) → ConnectionLimitExceededException with --enforce-limits. */
export const GET_MEDIA_CONNECTIONS = 3;
/** GetMediaForFragmentList connections per stream (5). */
export const GET_MEDIA_FOR_FRAGMENT_LIST_CONNECTIONS = 5;
/** GetMediaForFragmentList takes at most 1000 fragment numbers (model: FragmentNumberList max 1000). */
export const MAX_FRAGMENT_LIST = 1000;

/**
 * IDLE acks while no data arrives (VIDEO-SPEC §3.4: "periodically", period UNVERIFIED; 1–5 s is safe),
 * for up to IDLE_CLOSE_MS after the last data; then the request is closed.
 */
export const IDLE_ACK_INTERVAL_MS = 3_000;
export const IDLE_CLOSE_MS = 30_000;

/**
 * Media buffered per PutMedia connection and not yet durable before the upload is paused
 * (back-pressure: a slow store slows the producer instead of growing memory).
 */
export const MAX_UNPERSISTED_BYTES_PER_CONNECTION = 16 * 1024 * 1024;
/**
 * The same for all PutMedia connections of a node together: past it, a connection that has media
 * of its own in flight waits for it before reading on (N uploads would otherwise hold N × the
 * per-connection bound while the store is slower than the cameras).
 */
export const MAX_UNPERSISTED_BYTES_PER_NODE = 64 * 1024 * 1024;

/** Retention 0 keeps fragments this long for live readers (VIDEO-SPEC §9.3), without PERSISTED acks. */
export const NO_RETENTION_WINDOW_MS = 5 * 60 * 1000;
