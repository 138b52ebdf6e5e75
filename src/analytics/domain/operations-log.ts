import type { MetadataStore } from '../../store/store.js';
import { OPERATION_ID_LENGTH, ownedPrefix, randomId, type ApplicationDoc } from './application.js';

/** ErrorInfo.ErrorString's longest text (model: ErrorString max 512). */
export const MAX_ERROR_STRING = 512;

export type OperationStatus = 'IN_PROGRESS' | 'CANCELLED' | 'SUCCESSFUL' | 'FAILED';

/** One v2 operation (DescribeApplicationOperation / ListApplicationOperations). */
export interface OperationDoc {
  id: string;
  /** The API operation's name, e.g. StartApplication. */
  operation: string;
  status: OperationStatus;
  startMillis: number;
  endMillis?: number;
  versionFrom?: number;
  versionTo?: number;
  error?: string;
  rollbackOperationId?: string;
}

type Owner = Pick<ApplicationDoc, 'account' | 'region' | 'name' | 'createMillis'>;

/** The operations of each application, one document each. */
export class OperationsLog {
  constructor(private readonly meta: MetadataStore) {}

  newId(): string {
    return randomId(OPERATION_ID_LENGTH);
  }

  async put(app: Owner, op: OperationDoc): Promise<void> {
    const key = ownedPrefix('op', app) + op.id;
    const current = await this.meta.get<OperationDoc>(key);
    await this.meta.put(key, { ...op, error: op.error === undefined ? undefined : truncate(op.error) }, current?.revision ?? 0);
  }

  async get(app: Owner, id: string): Promise<OperationDoc | undefined> {
    return (await this.meta.get<OperationDoc>(ownedPrefix('op', app) + id))?.value;
  }

  /** In the order they started. */
  async list(app: Owner): Promise<OperationDoc[]> {
    const ops = (await this.meta.list<OperationDoc>(ownedPrefix('op', app))).map((entry) => entry.value);
    return ops.sort((a, b) => a.startMillis - b.startMillis || a.id.localeCompare(b.id));
  }

  /** Marks an operation done (SUCCESSFUL, or FAILED with its error). */
  async finish(app: Owner, id: string, status: 'SUCCESSFUL' | 'FAILED' | 'CANCELLED', now: number, error?: string, rollbackOperationId?: string): Promise<void> {
    const op = await this.get(app, id);
    if (!op || op.status !== 'IN_PROGRESS') return;
    await this.put(app, { ...op, status, endMillis: now, error, rollbackOperationId });
  }
}

function truncate(text: string): string {
  return text.length <= MAX_ERROR_STRING ? text : `${text.slice(0, MAX_ERROR_STRING - 1)}…`;
}
