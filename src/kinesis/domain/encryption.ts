import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { AwsError, invalidArgument } from '../../protocol/errors.js';
import type { StoredRecord } from '../../store/store.js';
import { dataKey } from './data-keys.js';
import type { Kinesis } from '../context.js';
import type { StreamMeta } from './stream.js';

/**
 * Server-side encryption (KINESIS-SPEC §3.16). Millrace plays KMS: each (stream incarnation, KMS
 * key id) pair gets its own AES-256 data key, kept in the metadata store under `kms/{keyRef}`.
 * Records put while the stream is encrypted are stored as `iv ‖ ciphertext ‖ tag` (AES-256-GCM,
 * the keyRef as additional data) with `keyRef` beside them, so they stay readable after encryption
 * is stopped or the key changes. Partition keys stay in clear (the record log keeps them apart
 * from the data). The data keys live in the same store as the logs: this protects record data in
 * log files, snapshots and replicas, not against someone holding the whole metadata store.
 */

/** The AWS-managed key every account has (§3.16). */
export const AWS_MANAGED_KEY_ALIAS = 'alias/aws/kinesis';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;
const ALIAS_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(alias\/.+)$/;

/**
 * Checks a `KeyId` as KMS would resolve it. Millrace keeps no key catalogue: every well-formed key
 * UUID or key ARN names an existing customer key; of the aliases only `alias/aws/kinesis` (bare or
 * as an alias ARN) exists. Anything else is KMSNotFoundException, as KMS answers unknown keys.
 */
export function resolveKmsKey(keyId: string, region: string, account: string): void {
  if (UUID.test(keyId) || KEY_ARN.test(keyId)) return;
  const alias = ALIAS_ARN.exec(keyId)?.[1] ?? (keyId.startsWith('alias/') ? keyId : undefined);
  if (alias === AWS_MANAGED_KEY_ALIAS) return;
  const name = alias ?? keyId;
  const arn = alias ? `arn:aws:kms:${region}:${account}:${alias}` : `arn:aws:kms:${region}:${account}:key/${keyId}`;
  throw new AwsError('KMSNotFoundException', `Invalid keyId '${name}': ${arn} is not found.`);
}

/** StartStreamEncryption/StopStreamEncryption take EncryptionType KMS only (§3.16). */
export function requireKmsType(type: string): void {
  if (type !== 'KMS') throw invalidArgument(`Invalid EncryptionType ${type}. The only supported EncryptionType is KMS.`);
}

/** Names the data key of one stream incarnation under one KMS key. */
export function keyRefFor(stream: StreamMeta, kmsKeyId: string): string {
  return `${stream.id}/${createHash('sha256').update(kmsKeyId).digest('hex').slice(0, 16)}`;
}

/** The bytes to store for a record put into `stream`, encrypted when the stream is (§3.16). */
export async function encryptRecordData(kinesis: Kinesis, stream: StreamMeta, data: Buffer): Promise<{ data: Buffer; keyRef?: string }> {
  if (stream.encryption.type !== 'KMS' || !stream.encryption.keyId) return { data };
  const keyRef = keyRefFor(stream, stream.encryption.keyId);
  const key = (await dataKey(kinesis.store, keyRef, true))!;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(keyRef));
  const body = Buffer.concat([cipher.update(data), cipher.final()]);
  return { data: Buffer.concat([iv, body, cipher.getAuthTag()]), keyRef };
}

/** A stored record's data in clear. */
export async function decryptRecordData(kinesis: Kinesis, record: Pick<StoredRecord, 'data' | 'keyRef'>): Promise<Buffer> {
  if (!record.keyRef) return record.data;
  const key = await dataKey(kinesis.store, record.keyRef, false);
  // The key is gone only with its stream incarnation; a record outliving it is a store fault.
  if (!key || record.data.length < IV_BYTES + TAG_BYTES) throw new Error(`no data key for record encrypted under ${record.keyRef}`);
  const decipher = createDecipheriv('aes-256-gcm', key, record.data.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(record.keyRef));
  decipher.setAuthTag(record.data.subarray(record.data.length - TAG_BYTES));
  return Buffer.concat([decipher.update(record.data.subarray(IV_BYTES, record.data.length - TAG_BYTES)), decipher.final()]);
}

/** The pending change StartStreamEncryption/StopStreamEncryption leave while the stream is UPDATING. */
export const ENCRYPTION_CHANGE = 'encryption';

export interface EncryptionChange {
  kind: typeof ENCRYPTION_CHANGE;
  type: 'KMS' | 'NONE';
  keyId?: string;
  [detail: string]: unknown;
}

/** Applied as UPDATING ends: from then on puts are encrypted (or not). Idempotent. */
export async function applyEncryptionChange(stream: StreamMeta, change: { kind: string }): Promise<StreamMeta> {
  const { type, keyId } = change as EncryptionChange;
  return { ...stream, encryption: type === 'KMS' ? { type, keyId } : { type: 'NONE' } };
}

/**
 * For a batch of puts: a synchronous encrypter bound to the stream's data key (loaded once), or
 * undefined when the stream is not encrypted. Returns the record fields to store.
 */
export async function recordSealer(kinesis: Kinesis, stream: StreamMeta): Promise<((data: Buffer) => { data: Buffer; keyRef: string }) | undefined> {
  if (stream.encryption.type !== 'KMS' || !stream.encryption.keyId) return undefined;
  const keyRef = keyRefFor(stream, stream.encryption.keyId);
  const key = (await dataKey(kinesis.store, keyRef, true))!;
  const aad = Buffer.from(keyRef);
  return (data) => {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(aad);
    const body = Buffer.concat([cipher.update(data), cipher.final()]);
    return { data: Buffer.concat([iv, body, cipher.getAuthTag()]), keyRef };
  };
}

/** Stored records with their data in clear; encrypted ones keep `keyRef` (EncryptionType KMS on the wire). */
export async function decryptRecords<T extends Pick<StoredRecord, 'data' | 'keyRef'>>(kinesis: Kinesis, records: T[]): Promise<T[]> {
  if (!records.some((record) => record.keyRef !== undefined)) return records;
  return Promise.all(records.map(async (record) => (record.keyRef === undefined ? record : { ...record, data: await decryptRecordData(kinesis, record) })));
}
