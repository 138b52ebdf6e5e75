import model from '../../model/monitoring-2010-08-01.json' with { type: 'json' };

/** The parts of CloudWatch's model (botocore 1.43.11 `cloudwatch/2010-08-01`) that drive its three protocols. */
export interface CwShape {
  type: 'structure' | 'list' | 'map' | 'string' | 'integer' | 'long' | 'double' | 'float' | 'boolean' | 'timestamp' | 'blob';
  members?: Record<string, { shape: string; xmlName?: string }>;
  required?: string[];
  member?: { shape: string };
  key?: { shape: string };
  value?: { shape: string };
  flattened?: boolean;
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
  xmlOrder?: string[];
}

export interface CwOperation {
  name: string;
  input?: { shape: string };
  output?: { shape: string; resultWrapper?: string };
}

export interface CwModel {
  metadata: { targetPrefix: string; xmlNamespace: string; apiVersion: string };
  operations: Record<string, CwOperation>;
  shapes: Record<string, CwShape>;
}

export const CLOUDWATCH_MODEL = model as unknown as CwModel;
/** `GraniteServiceVersion20100801`: the JSON protocol's X-Amz-Target prefix and RPC v2 CBOR's service path segment. */
export const TARGET_PREFIX = CLOUDWATCH_MODEL.metadata.targetPrefix;
export const XML_NAMESPACE = CLOUDWATCH_MODEL.metadata.xmlNamespace;
/** The SigV4 signing name (the model's endpointPrefix). */
export const SIGNING_NAME = 'monitoring';
export const shape = (name: string): CwShape => CLOUDWATCH_MODEL.shapes[name];
