/** The parts of an AWS service model (botocore `service-2.json`) that drive validation. */
export interface MemberRef {
  shape: string;
}

export interface Shape {
  type: 'structure' | 'string' | 'integer' | 'long' | 'boolean' | 'blob' | 'timestamp' | 'list' | 'map';
  members?: Record<string, MemberRef>;
  required?: string[];
  member?: MemberRef;
  key?: MemberRef;
  value?: MemberRef;
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
  eventstream?: boolean;
  exception?: boolean;
}

export interface Operation {
  name: string;
  input?: MemberRef;
  output?: MemberRef;
  errors?: MemberRef[];
}

export interface ServiceModel {
  metadata: { targetPrefix: string; apiVersion: string; endpointPrefix: string };
  operations: Record<string, Operation>;
  shapes: Record<string, Shape>;
}
