/**
 * Monitoring: live charts of records written per second, overall and per open shard, measured
 * from the shard logs as the page polls them (one point per poll, kept while the page is open).
 */
import type { StreamDetail } from '../api.js';
import { html, type Node } from '../ui.js';
import { Chart, type Series } from './chart.js';
import { MetricCharts, type MetricChart } from './metric-charts.js';

const MAX_POINTS = 300;

interface Sample {
  at: number;
  tips: Map<string, number>;
}

/** Per stream incarnation: the samples seen and the rates derived from them. */
const samples = new Map<string, Sample[]>();

function observe(stream: StreamDetail): Sample[] {
  const list = samples.get(stream.id) ?? [];
  const tips = new Map(stream.shards.map((s) => [s.shardId, s.records ?? 0]));
  const last = list[list.length - 1];
  const same = last && [...tips].every(([id, n]) => last.tips.get(id) === n) && last.tips.size === tips.size;
  if (!last || !same || Date.now() - last.at > 900) list.push({ at: Date.now(), tips });
  samples.set(stream.id, list.slice(-MAX_POINTS));
  return samples.get(stream.id)!;
}

export function MonitoringTab({ stream }: { stream: StreamDetail }): Node {
  const list = observe(stream);
  const x: number[] = [];
  const total: Array<number | null> = [];
  const open = stream.shards.filter((s) => s.open).map((s) => s.shardId);
  const perShard = new Map<string, Array<number | null>>(open.map((id) => [id, []]));
  for (let i = 1; i < list.length; i++) {
    const seconds = (list[i].at - list[i - 1].at) / 1000;
    if (seconds <= 0) continue;
    x.push(list[i].at / 1000);
    let sum = 0;
    for (const [id, tip] of list[i].tips) {
      const before = list[i - 1].tips.get(id) ?? 0;
      const rate = Math.max(0, (tip - before) / seconds);
      sum += rate;
      perShard.get(id)?.push(rate);
    }
    for (const [id, values] of perShard) if (values.length < x.length) values.push(list[i].tips.has(id) ? 0 : null);
    total.push(sum);
  }
  const incoming: Series = { label: 'Incoming records/s (all shards)', x, ys: [{ label: 'records/s', values: total }], unit: 'records/s' };
  const shards: Series = { label: 'Incoming records/s by open shard', x, ys: [...perShard].map(([id, values]) => ({ label: id.replace('shardId-', ''), values })), unit: 'records/s' };
  const dims = `StreamName=${stream.name}`;
  const stored: MetricChart[] = [
    { title: 'IncomingRecords', namespace: 'AWS/Kinesis', metric: 'IncomingRecords', dimensions: dims, stat: 'Sum' },
    { title: 'IncomingBytes', namespace: 'AWS/Kinesis', metric: 'IncomingBytes', dimensions: dims, stat: 'Sum' },
    { title: 'GetRecords.Records', namespace: 'AWS/Kinesis', metric: 'GetRecords.Records', dimensions: dims, stat: 'Sum' },
    { title: 'GetRecords.IteratorAgeMilliseconds', namespace: 'AWS/Kinesis', metric: 'GetRecords.IteratorAgeMilliseconds', dimensions: dims, stat: 'Maximum' },
    { title: 'PutRecords.Latency', namespace: 'AWS/Kinesis', metric: 'PutRecords.Latency', dimensions: dims, stat: 'Average' },
    { title: 'WriteProvisionedThroughputExceeded', namespace: 'AWS/Kinesis', metric: 'WriteProvisionedThroughputExceeded', dimensions: dims, stat: 'Sum' },
    { title: 'ReadProvisionedThroughputExceeded', namespace: 'AWS/Kinesis', metric: 'ReadProvisionedThroughputExceeded', dimensions: dims, stat: 'Sum' },
  ];
  return html`
    <h2>Live</h2>
    <p class="muted">Live: measured every 2 seconds while this page is open (${x.length} points).</p>
    <div class="grid">
      <div class="card"><${Chart} series=${incoming} /></div>
      <div class="card"><${Chart} series=${shards} /></div>
    </div>
    <h2>AWS/Kinesis metrics</h2>
    <${MetricCharts} charts=${stored} />`;
}
