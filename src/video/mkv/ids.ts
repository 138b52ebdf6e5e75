/**
 * The Matroska element ids a PutMedia ingest and a GetMedia writer need (Matroska spec, ids kept
 * with their marker bits as they appear on the wire).
 */
export const EBML_ID = 0x1a45dfa3;
export const SEGMENT_ID = 0x18538067;
export const SEEK_HEAD_ID = 0x114d9b74;
export const INFO_ID = 0x1549a966;
export const TIMECODE_SCALE_ID = 0x2ad7b1;
export const TRACKS_ID = 0x1654ae6b;
export const TRACK_ENTRY_ID = 0xae;
export const TRACK_NUMBER_ID = 0xd7;
export const CUES_ID = 0x1c53bb6b;
export const ATTACHMENTS_ID = 0x1941a469;
export const CHAPTERS_ID = 0x1043a770;
export const TAGS_ID = 0x1254c367;
export const TAG_ID = 0x7373;
export const TARGETS_ID = 0x63c0;
export const SIMPLE_TAG_ID = 0x67c8;
export const TAG_NAME_ID = 0x45a3;
export const TAG_STRING_ID = 0x4487;
export const TAG_BINARY_ID = 0x4485;
export const CLUSTER_ID = 0x1f43b675;
export const TIMECODE_ID = 0xe7;
export const SILENT_TRACKS_ID = 0x5854;
export const POSITION_ID = 0xa7;
export const PREV_SIZE_ID = 0xab;
export const SIMPLE_BLOCK_ID = 0xa3;
export const BLOCK_GROUP_ID = 0xa0;
export const BLOCK_ID = 0xa1;
export const BLOCK_DURATION_ID = 0x9b;
export const ENCRYPTED_BLOCK_ID = 0xaf;
export const VOID_ID = 0xec;
export const CRC32_ID = 0xbf;

/** Children an unknown-size Segment may hold; any other id ends it (VIDEO-SPEC §3.2). */
export const SEGMENT_CHILDREN = new Set([SEEK_HEAD_ID, INFO_ID, TRACKS_ID, CUES_ID, ATTACHMENTS_ID, CHAPTERS_ID, TAGS_ID, CLUSTER_ID, VOID_ID, CRC32_ID]);

/** Children an unknown-size Cluster may hold; any other id (the next Cluster, Tags) ends it. */
export const CLUSTER_CHILDREN = new Set([TIMECODE_ID, SILENT_TRACKS_ID, POSITION_ID, PREV_SIZE_ID, SIMPLE_BLOCK_ID, BLOCK_GROUP_ID, ENCRYPTED_BLOCK_ID, VOID_ID, CRC32_ID]);

/** Children of a BlockGroup (which is always known-size in practice; unknown size is refused). */
export const BLOCK_GROUP_CHILDREN = new Set([BLOCK_ID, BLOCK_DURATION_ID, 0xfb, 0xfa, 0x75a1, 0x75a2, 0xa4, 0xc8, 0x8e, VOID_ID, CRC32_ID]);

/** The size field of an element whose size is unknown, as EBML spells it in 8 bytes. */
export const UNKNOWN_SIZE_8 = Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
