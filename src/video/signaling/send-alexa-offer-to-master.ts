import { AwsError } from '../../protocol/errors.js';
import type { VideoRequestContext } from '../context.js';
import { channelNotActive } from '../errors.js';
import type { SignalingRelay } from './relay.js';

interface Input {
  ChannelARN: string;
  SenderClientId: string;
  MessagePayload: string;
}

/** How long SendAlexaOfferToMaster waits for the master's answer (UNVERIFIED). */
export const ALEXA_ANSWER_TIMEOUT_MS = 5_000;
/** UNVERIFIED: no master connected, or none answered in time. */
export const NO_MASTER_ANSWER = 'The master of the signaling channel is not connected or did not answer the offer.';

/**
 * SendAlexaOfferToMaster (`POST /v1/send-alexa-offer-to-master`): the offer goes to the master
 * connected on this node's relay as an SDP_OFFER from SenderClientId; its SDP_ANSWER to that id
 * is the response.
 */
export async function sendAlexaOfferToMaster(relay: SignalingRelay, input: Input, context: VideoRequestContext) {
  const channel = await context.video.channels.find(context.account, context.region, { ChannelARN: input.ChannelARN });
  if (channel.ChannelStatus !== 'ACTIVE') throw channelNotActive(channel.ChannelName, channel.ChannelStatus);
  const answer = await relay.offerToMaster(channel.ChannelARN, input.SenderClientId, input.MessagePayload, ALEXA_ANSWER_TIMEOUT_MS);
  if (answer === undefined) throw new AwsError('ResourceNotFoundException', NO_MASTER_ANSWER, 404);
  return { Answer: answer };
}
