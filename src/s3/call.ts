import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Caller } from '../protocol/authenticator.js';
import type { ServerRequest } from '../protocol/http-exchange.js';
import type { ObjectStore } from '../objects/object-store.js';
import type { UploadBody } from './upload-body.js';

/** What an S3 operation gets: the addressed bucket and key, the request's parts, and the store. */
export interface S3Call {
  req: ServerRequest;
  method: string;
  /** The operation's name in the model (`PutObject`). */
  operation: string;
  /** '' for service-level requests (ListBuckets). */
  bucket: string;
  /** '' for bucket-level requests. */
  key: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  caller: Caller;
  objects: ObjectStore;
  requestId: string;
  /** The request's body as it arrives, decoded and checked (upload-body.ts); read it once. */
  upload(): UploadBody;
  /** A small request document (XML) in full, checked the same way; MaxMessageLengthExceeded past its bound. */
  document(): Promise<Buffer>;
}

/** What an operation answers; the service adds the request ids and writes it. */
export interface S3Result {
  /** 200 unless said. */
  status?: number;
  headers?: Record<string, string | number | undefined>;
  /** XML text, bytes, or an object's content streamed from the store. */
  body?: string | Buffer | Readable;
}

/** One file per operation under `operations/`, named as the model names it, default-exporting this. */
export type S3Operation = (call: S3Call) => Promise<S3Result>;
