import { parentPort } from 'node:worker_threads';
import { compileJob, type Job, type SinkRecord } from '../sql/index.js';
import { packSinkRecords, transferables, unpackSourceRecords, type FeedInput, type FromWorker, type JobFault, type OpenRequest, type PackedSinkRecords, type ToWorker } from './job-worker-protocol.js';

/**
 * The worker thread of one running application (isolated-job.ts starts it): it holds the compiled SQL
 * pipeline and its state, applies what the sources read, moves time on, and answers with the sinks'
 * records and, when asked, the job's checkpoint state. It touches nothing else: no store, no lease,
 * no network; a failure here is answered as the job's failure, and a worker that loops or runs out of
 * heap is terminated by the main thread without harm to the server.
 */

let job: Job | undefined;
let fault: JobFault | undefined;
let rowSinks = new Set<string>();
const output = new Map<string, SinkRecord[]>();

function open(request: OpenRequest): void {
  const compiled = compileJob(request.script, { config: request.config });
  if (request.restore) {
    const state = request.restore;
    if (request.dropUnknownOperators) {
      // AllowNonRestoredState: state of operators the new program lacks is dropped, as Flink's --allowNonRestoredState.
      const probe = compiled.checkpoint();
      for (const id of Object.keys(state.operators)) if (!(id in probe.operators)) delete state.operators[id];
    }
    compiled.restore(state);
  }
  rowSinks = new Set(request.rowSinks);
  for (const [name, sink] of Object.entries(compiled.sinks)) {
    sink.subscribe((records) => {
      const held = output.get(name);
      if (held) for (const r of records) held.push(r);
      else output.set(name, records.slice());
    });
  }
  fault = request.fault;
  job = compiled;
}

function injectFault(kind: JobFault): void {
  if (kind === 'hang') for (;;);
  // Arrays of doubles (8 MiB each): the heap limit is reached in a few dozen allocations, and a full GC
  // has no pointers in them to trace, so the worker reaches its limit quickly even on a busy machine.
  const hoard: number[][] = [];
  for (;;) hoard.push(new Array<number>(1 << 20).fill(hoard.length + 0.5));
}

function step(now: number, inputs: FeedInput[]): FromWorker {
  const running = job!;
  if (fault && inputs.some((i) => i.op === 'push' || i.op === 'pushPhysical')) injectFault(fault);
  for (const input of inputs) {
    const source = running.sources[input.source];
    if (!source) throw new Error(`the job reads no source table ${input.source}`);
    switch (input.op) {
      case 'push':
        source.push(unpackSourceRecords(input.records), input.shard);
        break;
      case 'pushPhysical':
        source.pushPhysical(input.rows, input.shard, input.rec);
        break;
      case 'addShard':
        source.addShard(input.shard);
        break;
      case 'finishShard':
        source.finishShard(input.shard);
        break;
    }
  }
  running.advance(now);
  const out: Record<string, PackedSinkRecords> = {};
  for (const [name, records] of output) out[name] = packSinkRecords(records, rowSinks.has(name));
  output.clear();
  return { t: 'stepped', out, metrics: { ...running.metrics } };
}

function answer(message: ToWorker): FromWorker {
  switch (message.t) {
    case 'open':
      open(message);
      return { t: 'opened' };
    case 'step':
      return step(message.now, message.inputs);
    case 'checkpoint':
      return { t: 'state', state: job!.checkpoint() };
  }
}

parentPort!.on('message', (message: ToWorker) => {
  let reply: FromWorker;
  try {
    reply = answer(message);
  } catch (err) {
    const e = err as { flinkClass?: unknown; message?: unknown };
    reply = { t: 'failed', flinkClass: typeof e?.flinkClass === 'string' ? e.flinkClass : undefined, message: typeof e?.message === 'string' ? e.message : String(err) };
  }
  parentPort!.postMessage(reply, transferables(reply));
});
