// ebml 3 ships no types; this is the part of its API the video tests use as an oracle.
declare module 'ebml' {
  import { Transform } from 'node:stream';
  export interface EbmlTag {
    name: string;
    type: string;
    value?: number | string;
    data?: Uint8Array;
    payload?: Uint8Array;
    track?: number;
    keyframe?: boolean;
    dataSize?: number;
    unknownSize?: boolean;
  }
  export class Decoder extends Transform {}
}
