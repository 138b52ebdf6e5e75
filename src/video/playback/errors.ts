import { AwsError } from '../../protocol/errors.js';
import { CLIENT_LIMIT_EXCEEDED } from '../errors.js';
import { InvalidCodecPrivateError, MissingCodecPrivateError, UnsupportedCodecError } from './codecs.js';
import { FragmentGoneError } from '../media/media-output.js';
import { MediaFormatError } from './matroska.js';

/**
 * Archived-media playback errors (VIDEO-SPEC §5.3–§5.5; types and statuses from the
 * kinesis-video-archived-media model). Texts on record are marked; the others are the model's
 * descriptions of the exception (AWS's exact text UNVERIFIED), each one constant here.
 */

/** Recorded (§5.4): a range or live window without fragments. */
export const NO_FRAGMENTS = 'No fragments found in the stream for the streaming request.';
export const noFragments = () => new AwsError('ResourceNotFoundException', NO_FRAGMENTS, 404);

/** The model's description of UnsupportedStreamMediaTypeException (UNVERIFIED as a message). */
export const UNSUPPORTED_MEDIA =
  'The type of the media (for example, h.264 or h.265 video or ACC or G.711 audio) could not be determined from the codec IDs of the tracks in the first fragment for a playback session. The codec ID for track 1 should be V_MPEG/ISO/AVC and, optionally, the codec ID for track 2 should be A_AAC.';
export const unsupportedMedia = () => new AwsError('UnsupportedStreamMediaTypeException', UNSUPPORTED_MEDIA);

export const MISSING_CODEC_PRIVATE = 'No codec private data was found in at least one of tracks of the video stream.';
export const missingCodecPrivate = () => new AwsError('MissingCodecPrivateDataException', MISSING_CODEC_PRIVATE);

export const INVALID_CODEC_PRIVATE = 'The codec private data in at least one of the tracks of the video stream is not valid for this operation.';
export const invalidCodecPrivate = () => new AwsError('InvalidCodecPrivateDataException', INVALID_CODEC_PRIVATE);

/** UNVERIFIED: the tracks change within a session's range (video-only ↔ audio+video, §5.4 "fails the session"). */
export const TRACKS_CHANGED = 'The tracks of the stream changed within the requested range; a playback session needs the same tracks throughout.';
export const tracksChanged = () => new AwsError('InvalidCodecPrivateDataException', TRACKS_CHANGED);

export const INVALID_MEDIA_FRAME = 'One or more frames in the requested clip could not be parsed based on the specified codec.';
export const invalidMediaFrame = () => new AwsError('InvalidMediaFrameException', INVALID_MEDIA_FRAME);

/** UNVERIFIED texts: session tokens that are not Millrace's, or are past their Expires. */
export const SESSION_TOKEN_INVALID = 'The session token is not valid.';
export const SESSION_TOKEN_EXPIRED = 'The session token has expired.';
export const notAuthorized = (message: string) => new AwsError('NotAuthorizedException', message, 401);

/** UNVERIFIED texts for range and parameter checks the docs describe (§5.3, §5.4). */
export const START_AFTER_END = 'The StartTimestamp must be before the EndTimestamp.';
export const RANGE_TOO_LONG = 'The time range between StartTimestamp and EndTimestamp must not exceed 24 hours.';
export const END_IN_FUTURE = 'The EndTimestamp must be in the past for the SERVER_TIMESTAMP selector type.';
export const START_REQUIRED = (mode: string) => `The StartTimestamp is required for PlaybackMode ${mode}.`;
export const END_REQUIRED = (mode: string) => `The EndTimestamp is required for PlaybackMode ${mode}.`;
export const RANGE_NOT_ALLOWED_LIVE = 'A TimestampRange must not be specified for PlaybackMode LIVE.';
export const SELECTOR_REQUIRED = (mode: string) => `A fragment selector is required for PlaybackMode ${mode}.`;
export const invalidArgument = (message: string) => new AwsError('InvalidArgumentException', message);

/** UNVERIFIED: playback URLs' own parameters (TrackNumber, FragmentNumber, SequenceNumber). */
export const parameterInvalid = (name: string) => `The ${name} parameter is missing or not valid.`;
export const TRACK_NOT_IN_SESSION = 'The requested track does not exist in the stream.';
export const FRAGMENT_NOT_FOUND = 'The requested fragment is not found.';
export const fragmentNotFound = () => new AwsError('ResourceNotFoundException', FRAGMENT_NOT_FOUND, 404);

/** Packaging failures as the API's errors. */
export function mediaError(error: unknown): unknown {
  if (error instanceof UnsupportedCodecError) return unsupportedMedia();
  if (error instanceof MissingCodecPrivateError) return missingCodecPrivate();
  if (error instanceof InvalidCodecPrivateError) return invalidCodecPrivate();
  if (error instanceof MediaFormatError) return invalidMediaFrame();
  if (error instanceof FragmentGoneError) return fragmentNotFound();
  return error;
}

/** Over a playback TPS or the stream's quota points (--enforce-limits): the control plane's throttling text (AWS's here UNVERIFIED). */
export const clientLimitExceeded = () => new AwsError('ClientLimitExceededException', CLIENT_LIMIT_EXCEEDED);
