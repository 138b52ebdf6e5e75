import type { VideoContext, VideoMediaRoutes } from '../context.js';
import type { VideoStreamDoc } from '../domain/video-stream.js';
import { getMediaForFragmentList } from '../archived/get-media-for-fragment-list.js';
import { listFragments } from '../archived/list-fragments.js';
import { getImages } from '../images/get-images.js';
import { chooseImageDecoder } from '../images/choose-decoder.js';
import { ImageMaker } from '../images/image-maker.js';
import { connectionKey } from './connections.js';
import { streamLogs } from './fragment-store.js';
import { getMedia } from './get-media.js';
import { putMedia } from './put-media.js';
import { putMediaAuthenticator } from './put-media-auth.js';
import { MediaRuntime } from './runtime.js';
import { createPlaybackRoutes } from '../playback/playback-routes.js';

/**
 * The media side of Kinesis Video Streams (issue 16 §2–§7) as the service shell takes it
 * (context.ts VideoMediaRoutes): PutMedia's raw route, GetMedia, ListFragments and
 * GetMediaForFragmentList, and what a deleted stream leaves behind.
 */
export function createVideoMediaRoutes(video: Pick<VideoContext, 'store' | 'config' | 'streams' | 'log'>): VideoMediaRoutes {
  const runtime = new MediaRuntime(video.store, video.config.enforceLimits);
  const playback = createPlaybackRoutes(video, runtime);
  // Chosen at start-up, and logged: which decoder GetImages has on this node.
  const decoder = chooseImageDecoder(video.config.imagesDecoder, video.config.ffmpeg, video.log);
  const images = new ImageMaker(decoder, video.log);
  return {
    playback: playback.playback,
    operations: {
      ...playback.operations,
      GetMedia: (input, context) => getMedia(runtime, input, context),
      ListFragments: (input, context) => listFragments(runtime, input, context),
      GetMediaForFragmentList: (input, context) => getMediaForFragmentList(runtime, input, context),
      GetImages: (input, context) => getImages(runtime, images, input, context),
    },
    putMedia: (req, res, context) => putMedia(runtime, req, res, context),
    // With --credentials, signatures are checked with PutMedia's own payload-hash rule.
    ...(video.config.credentials ? { authenticatePutMedia: putMediaAuthenticator(video.config.credentials, video.config.region) } : {}),
    imagesDecoder: decoder?.description ?? 'none: --images-decoder ffmpeg and no ffmpeg found (every image is MEDIA_ERROR)',
    close: () => images.close(),
    async onStreamDeleted(stream: VideoStreamDoc) {
      // Uploads on this node end with STREAM_NOT_ACTIVE; on other nodes their lease renewal fails.
      for (const end of runtime.putSessions.get(stream.StreamARN) ?? []) end('STREAM_NOT_ACTIVE');
      const logs = streamLogs(stream.StreamARN);
      const lease = await video.store.meta.get(connectionKey(logs.fragments));
      if (lease) await video.store.meta.delete(lease.key, lease.revision);
      await runtime.fragments.drop(logs);
    },
  };
}
