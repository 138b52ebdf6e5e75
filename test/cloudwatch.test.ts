import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudWatchClient,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  ListMetricsCommand,
  PutMetricDataCommand,
  type MetricDatum,
} from '@aws-sdk/client-cloudwatch';
import { AwsQueryProtocol, AwsSmithyRpcV2CborProtocol } from '@aws-sdk/core/protocols';
import { CreateStreamCommand, EnableEnhancedMonitoringCommand, GetRecordsCommand, GetShardIteratorCommand, PutRecordCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { Decoder } from 'cbor-x';
import { available, startTestServer, type TestServer } from './helpers.js';
import { MetricStore } from '../src/cloudwatch/domain/metric-store.js';
import { listMetrics, queryMetric } from '../src/cloudwatch/domain/metric-query.js';
import { openMemoryStore } from '../src/store/memory-store.js';
import { openLmdbStore } from '../src/store/lmdb-store.js';
import type { Store } from '../src/store/store.js';
import { openNatsStore } from '../src/store/nats-store.js';
import { NatsCluster, natsServerMissing } from './nats-cluster.js';

/**
 * CloudWatch on Millrace's port (issue 18 §5, CONSOLE-SPEC §2.4): PutMetricData, ListMetrics,
 * GetMetricStatistics and GetMetricData through boto3, the AWS CLI and the JS SDK in each of the
 * model's three protocols; Millrace's own AWS/Kinesis metrics after puts; AWS's errors for bad
 * input; one-minute aggregates in the store, kept 14 days.
 */

let server: TestServer;
const clients: CloudWatchClient[] = [];
const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

before(async () => {
  server = await startTestServer({ createStreamMs: 0 });
});
after(async () => {
  for (const client of clients) client.destroy();
  await server.stop();
});

type ProtocolName = 'json' | 'cbor' | 'query';
const PROTOCOLS: ProtocolName[] = ['json', 'cbor', 'query'];

function cloudwatch(protocol: ProtocolName = 'json'): CloudWatchClient {
  const client = new CloudWatchClient({
    endpoint: server.endpoint,
    region: REGION,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: 1,
    // @aws-sdk/client-cloudwatch 3.1178.0 over RPC v2 CBOR gzips bodies of 10 KiB and more but
    // sends the uncompressed Content-Length, so the server waits for bytes that never come.
    ...(protocol === 'cbor' && { protocol: AwsSmithyRpcV2CborProtocol, disableRequestCompression: true }),
    ...(protocol === 'query' && { protocol: AwsQueryProtocol }),
  });
  clients.push(client);
  return client;
}

/** A window around now that surely holds the current minute, at one-minute periods. */
const window = () => ({ StartTime: new Date(Date.now() - 10 * 60_000), EndTime: new Date(Date.now() + 2 * 60_000) });
const total = (values: readonly number[] | undefined) => (values ?? []).reduce((a, b) => a + b, 0);

const CLIENT_ENV = {
  ...process.env,
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_DEFAULT_REGION: REGION,
  AWS_DEFAULT_OUTPUT: 'json',
  AWS_CONFIG_FILE: '/nonexistent/millrace-config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/millrace-credentials',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_MAX_ATTEMPTS: '1',
  AWS_PAGER: '',
};

function exec(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { env: CLIENT_ENV, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

test('the JS SDK puts, lists and reads metrics in each protocol of the model (JSON 1.0, RPC v2 CBOR, query)', async () => {
  for (const protocol of PROTOCOLS) {
    const client = cloudwatch(protocol);
    const namespace = `Sdk/${protocol}`;
    const dimensions = [{ Name: 'Host', Value: 'b' }, { Name: 'App', Value: 'a' }];
    await client.send(
      new PutMetricDataCommand({
        Namespace: namespace,
        MetricData: [
          { MetricName: 'Latency', Value: 10, Unit: 'Milliseconds', Dimensions: dimensions },
          { MetricName: 'Latency', Values: [1, 2, 3], Counts: [1, 1, 2], Unit: 'Milliseconds', Dimensions: dimensions },
          { MetricName: 'Batch', StatisticValues: { SampleCount: 4, Sum: 10, Minimum: 1, Maximum: 4 }, Unit: 'Count' },
        ],
      }),
    );
    const listed = await client.send(new ListMetricsCommand({ Namespace: namespace }));
    assert.deepEqual(
      listed.Metrics?.map((m) => [m.Namespace, m.MetricName, m.Dimensions]).sort(),
      [
        [namespace, 'Batch', []],
        // Dimensions come back sorted by name, whatever order they were put in.
        [namespace, 'Latency', [{ Name: 'App', Value: 'a' }, { Name: 'Host', Value: 'b' }]],
      ],
      protocol,
    );
    const stats = await client.send(
      new GetMetricStatisticsCommand({
        Namespace: namespace,
        MetricName: 'Latency',
        Dimensions: [{ Name: 'App', Value: 'a' }, { Name: 'Host', Value: 'b' }],
        Period: 60,
        Statistics: ['SampleCount', 'Sum', 'Minimum', 'Maximum', 'Average'],
        ...window(),
      }),
    );
    assert.equal(stats.Label, 'Latency');
    const points = stats.Datapoints ?? [];
    assert.equal(total(points.map((p) => p.SampleCount!)), 5, protocol);
    assert.equal(total(points.map((p) => p.Sum!)), 19, protocol);
    assert.equal(Math.min(...points.map((p) => p.Minimum!)), 1);
    assert.equal(Math.max(...points.map((p) => p.Maximum!)), 10);
    assert.equal(points[0].Unit, 'Milliseconds');
    assert.ok(points[0].Timestamp instanceof Date && points[0].Timestamp.getTime() % 60_000 === 0, 'points start on a minute');

    const data = await client.send(
      new GetMetricDataCommand({
        ...window(),
        MetricDataQueries: [
          { Id: 'batch', MetricStat: { Metric: { Namespace: namespace, MetricName: 'Batch' }, Period: 60, Stat: 'Sum' } },
          { Id: 'samples', MetricStat: { Metric: { Namespace: namespace, MetricName: 'Batch' }, Period: 60, Stat: 'SampleCount' }, Label: 'n' },
          { Id: 'doubled', Expression: 'batch * 2 + 1' },
          { Id: 'hidden', MetricStat: { Metric: { Namespace: namespace, MetricName: 'Batch' }, Period: 60, Stat: 'Maximum' }, ReturnData: false },
        ],
      }),
    );
    const results = data.MetricDataResults ?? [];
    assert.deepEqual(results.map((r) => [r.Id, r.Label, r.StatusCode]), [
      ['batch', 'Batch', 'Complete'],
      ['samples', 'n', 'Complete'],
      ['doubled', 'doubled', 'Complete'],
    ]);
    assert.equal(total(results[0].Values), 10);
    assert.equal(total(results[1].Values), 4);
    assert.equal(total(results[2].Values), 10 * 2 + results[2].Values!.length);
    assert.ok(results[0].Timestamps!.every((t) => t instanceof Date));
  }
});

test('percentiles come from values put one by one, not from statistic sets', async () => {
  const client = cloudwatch();
  await client.send(
    new PutMetricDataCommand({
      Namespace: 'Percentiles',
      MetricData: [
        { MetricName: 'Values', Values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], Counts: [1, 1, 1, 1, 1, 1, 1, 1, 1, 91] },
        { MetricName: 'Set', StatisticValues: { SampleCount: 2, Sum: 3, Minimum: 1, Maximum: 2 } },
      ],
    }),
  );
  const stats = await client.send(
    new GetMetricStatisticsCommand({ Namespace: 'Percentiles', MetricName: 'Values', Period: 3600, ExtendedStatistics: ['p50', 'p5', 'p99.9'], ...window() }),
  );
  const extended = stats.Datapoints?.find((d) => d.ExtendedStatistics)?.ExtendedStatistics;
  assert.deepEqual(extended, { p50: 10, p5: 5, 'p99.9': 10 });
  const set = await client.send(
    new GetMetricDataCommand({ ...window(), MetricDataQueries: [{ Id: 'p', MetricStat: { Metric: { Namespace: 'Percentiles', MetricName: 'Set' }, Period: 60, Stat: 'p50' } }] }),
  );
  assert.deepEqual(set.MetricDataResults?.[0].Values, [], 'a statistic set has no percentiles');
});

test('boto3 puts (gzipped when large) and reads metrics, and gets the query error codes', async (t) => {
  if (!(await available('python3', ['-c', 'import boto3']))) return t.skip("`python3 -c 'import boto3'` fails here");
  const script = `
import boto3, datetime, json, sys
from botocore.exceptions import ClientError
cw = boto3.client('cloudwatch', endpoint_url=sys.argv[1], region_name='us-east-1')
now = datetime.datetime.now(datetime.timezone.utc)
start, end = now - datetime.timedelta(minutes=10), now + datetime.timedelta(minutes=2)
# 300 datums are over botocore's 10 KiB: the body goes gzipped.
cw.put_metric_data(Namespace='Boto', MetricData=[{'MetricName': 'Many', 'Value': i, 'Dimensions': [{'Name': 'Index', 'Value': str(i % 3)}, {'Name': 'Pad', 'Value': 'x' * 40}]} for i in range(300)])
out = {}
out['listed'] = sorted(d['Value'] for m in cw.list_metrics(Namespace='Boto', MetricName='Many', Dimensions=[{'Name': 'Index'}])['Metrics'] for d in m['Dimensions'] if d['Name'] == 'Index')
dims = [{'Name': 'Index', 'Value': '0'}, {'Name': 'Pad', 'Value': 'x' * 40}]
s = cw.get_metric_statistics(Namespace='Boto', MetricName='Many', Dimensions=dims, StartTime=start, EndTime=end, Period=60, Statistics=['Sum', 'SampleCount'])
out['sum'] = sum(p['Sum'] for p in s['Datapoints'])
out['count'] = sum(p['SampleCount'] for p in s['Datapoints'])
d = cw.get_metric_data(MetricDataQueries=[{'Id': 'm', 'MetricStat': {'Metric': {'Namespace': 'Boto', 'MetricName': 'Many', 'Dimensions': dims}, 'Period': 60, 'Stat': 'Maximum'}}], StartTime=start, EndTime=end)
out['max'] = max(d['MetricDataResults'][0]['Values'])
def error(f):
    try:
        f()
    except ClientError as e:
        return [e.response['Error']['Code'], e.response['Error'].get('Message'), e.response['ResponseMetadata']['HTTPStatusCode']]
out['tooMany'] = error(lambda: cw.put_metric_data(Namespace='Boto', MetricData=[{'MetricName': 'M', 'Value': 1}] * 1001))
out['reserved'] = error(lambda: cw.put_metric_data(Namespace='AWS/Kinesis', MetricData=[{'MetricName': 'M', 'Value': 1}]))
out['points'] = error(lambda: cw.get_metric_statistics(Namespace='Boto', MetricName='Many', StartTime=now - datetime.timedelta(days=2), EndTime=now, Period=60, Statistics=['Sum']))
print(json.dumps(out))
`;
  const run = await exec('python3', ['-c', script, server.endpoint]);
  assert.equal(run.code, 0, run.stderr);
  const out = JSON.parse(run.stdout);
  assert.deepEqual(out.listed, ['0', '1', '2']);
  const zeros = Array.from({ length: 300 }, (_, i) => i).filter((i) => i % 3 === 0);
  assert.equal(out.sum, total(zeros));
  assert.equal(out.count, zeros.length);
  assert.equal(out.max, 297);
  assert.deepEqual(out.tooMany, ['InvalidParameterValue', 'The collection MetricData must not have a size greater than 1000.', 400]);
  assert.deepEqual(out.reserved, ['InvalidParameterValue', 'The value AWS/ for parameter Namespace is invalid.', 400]);
  assert.deepEqual(out.points, [
    'InvalidParameterCombination',
    'You have requested up to 2,880 datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.',
    400,
  ]);
});

test('the AWS CLI: put-metric-data, then get-metric-data, get-metric-statistics and list-metrics', async (t) => {
  if (!(await available('aws', ['--version']))) return t.skip('`aws --version` does not run here');
  const aws = (...args: string[]) => exec('aws', ['--endpoint-url', server.endpoint, 'cloudwatch', ...args]);
  const put = await aws('put-metric-data', '--namespace', 'Cli', '--metric-name', 'Orders', '--value', '7', '--unit', 'Count', '--dimensions', 'Shop=north');
  assert.equal(put.code, 0, put.stderr);
  const again = await aws('put-metric-data', '--namespace', 'Cli', '--metric-data', JSON.stringify([{ MetricName: 'Orders', Value: 5, Unit: 'Count', Dimensions: [{ Name: 'Shop', Value: 'north' }] }]));
  assert.equal(again.code, 0, again.stderr);
  const start = new Date(Date.now() - 10 * 60_000).toISOString();
  const end = new Date(Date.now() + 2 * 60_000).toISOString();
  const data = await aws(
    'get-metric-data',
    '--start-time', start,
    '--end-time', end,
    '--metric-data-queries',
    JSON.stringify([{ Id: 'orders', MetricStat: { Metric: { Namespace: 'Cli', MetricName: 'Orders', Dimensions: [{ Name: 'Shop', Value: 'north' }] }, Period: 60, Stat: 'Sum' } }]),
  );
  assert.equal(data.code, 0, data.stderr);
  assert.equal(total(JSON.parse(data.stdout).MetricDataResults[0].Values), 12);
  const stats = await aws('get-metric-statistics', '--namespace', 'Cli', '--metric-name', 'Orders', '--dimensions', 'Name=Shop,Value=north', '--start-time', start, '--end-time', end, '--period', '300', '--statistics', 'Average', 'SampleCount');
  assert.equal(stats.code, 0, stats.stderr);
  const points = JSON.parse(stats.stdout).Datapoints as { Average: number; SampleCount: number }[];
  assert.equal(total(points.map((p) => p.SampleCount)), 2);
  if (points.length === 1) assert.equal(points[0].Average, 6);
  const listed = await aws('list-metrics', '--namespace', 'Cli');
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(JSON.parse(listed.stdout).Metrics, [{ Namespace: 'Cli', MetricName: 'Orders', Dimensions: [{ Name: 'Shop', Value: 'north' }] }]);
  const refused = await aws('put-metric-data', '--namespace', 'AWS/Mine', '--metric-name', 'M', '--value', '1');
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /\(InvalidParameterValue\) when calling the PutMetricData operation: The value AWS\/ for parameter Namespace is invalid\./);
});

test("Millrace's own AWS/Kinesis metrics after puts and reads, with StreamName and, where enabled, ShardId", async () => {
  const kinesis = server.client();
  await kinesis.send(new CreateStreamCommand({ StreamName: 'measured', ShardCount: 2 }));
  const data = Buffer.from('0123456789');
  for (let i = 0; i < 3; i++) await kinesis.send(new PutRecordCommand({ StreamName: 'measured', Data: data, PartitionKey: `k${i}` }));
  await kinesis.send(new PutRecordsCommand({ StreamName: 'measured', Records: Array.from({ length: 5 }, (_, i) => ({ Data: data, PartitionKey: `p${i}` })) }));
  const iterator = await kinesis.send(new GetShardIteratorCommand({ StreamName: 'measured', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }));
  const read = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator.ShardIterator }));

  const client = cloudwatch();
  const stream = [{ Name: 'StreamName', Value: 'measured' }];
  const query = (id: string, metric: string, stat: string, dimensions = stream) => ({
    Id: id,
    MetricStat: { Metric: { Namespace: 'AWS/Kinesis', MetricName: metric, Dimensions: dimensions }, Period: 60, Stat: stat },
  });
  const answer = await client.send(
    new GetMetricDataCommand({
      ...window(),
      MetricDataQueries: [
        query('records', 'IncomingRecords', 'Sum'),
        query('bytes', 'IncomingBytes', 'Sum'),
        query('puts', 'PutRecord.Success', 'Sum'),
        query('batch', 'PutRecords.Records', 'Sum'),
        query('calls', 'PutRecords.Success', 'SampleCount'),
        query('read', 'GetRecords.Records', 'Sum'),
        query('age', 'GetRecords.IteratorAgeMilliseconds', 'Maximum'),
      ],
    }),
  );
  const sum = (id: string) => total(answer.MetricDataResults?.find((r) => r.Id === id)?.Values);
  assert.equal(sum('records'), 8);
  assert.equal(sum('bytes'), 3 * (10 + 2) + 5 * (10 + 2));
  assert.equal(sum('puts'), 3);
  assert.equal(sum('batch'), 5);
  assert.equal(sum('calls'), 1);
  assert.equal(sum('read'), read.Records?.length);
  assert.ok(answer.MetricDataResults?.find((r) => r.Id === 'age')?.Values?.length === 1);

  const listed = await client.send(new ListMetricsCommand({ Namespace: 'AWS/Kinesis', Dimensions: [{ Name: 'StreamName', Value: 'measured' }] }));
  const names = new Set(listed.Metrics?.map((m) => m.MetricName));
  for (const name of ['IncomingRecords', 'IncomingBytes', 'PutRecord.Latency', 'PutRecords.Latency', 'GetRecords.Latency', 'GetRecords.Bytes']) assert.ok(names.has(name), name);
  assert.ok(!listed.Metrics?.some((m) => m.Dimensions?.some((d) => d.Name === 'ShardId')), 'no shard-level metrics without enhanced monitoring');

  // Shard level: only the metric enabled, per shard.
  await kinesis.send(new EnableEnhancedMonitoringCommand({ StreamName: 'measured', ShardLevelMetrics: ['IncomingRecords'] }));
  const put = await kinesis.send(new PutRecordCommand({ StreamName: 'measured', Data: data, PartitionKey: 'after' }));
  const shardMetrics = await client.send(new ListMetricsCommand({ Namespace: 'AWS/Kinesis', Dimensions: [{ Name: 'ShardId' }] }));
  assert.deepEqual(
    shardMetrics.Metrics?.map((m) => [m.MetricName, m.Dimensions]),
    [['IncomingRecords', [{ Name: 'ShardId', Value: put.ShardId }, { Name: 'StreamName', Value: 'measured' }]]],
  );
});

test('bad input gets AWS errors in every protocol', async () => {
  const datum = (extra: Partial<MetricDatum> = {}): MetricDatum => ({ MetricName: 'M', Value: 1, ...extra });
  const cases: [string, () => any, string, string][] = [
    ['no namespace', () => new PutMetricDataCommand({ MetricData: [datum()] } as never), 'MissingParameter', 'The parameter Namespace is required.'],
    ['no data', () => new PutMetricDataCommand({ Namespace: 'Bad', MetricData: [] }), 'MissingParameter', 'The parameter MetricData is required.'],
    [
      '1001 metrics',
      () => new PutMetricDataCommand({ Namespace: 'Bad', MetricData: Array.from({ length: 1001 }, () => datum()) }),
      'InvalidParameterValue',
      'The collection MetricData must not have a size greater than 1000.',
    ],
    [
      '151 values',
      () => new PutMetricDataCommand({ Namespace: 'Bad', MetricData: [{ MetricName: 'M', Values: Array.from({ length: 151 }, (_, i) => i) }] }),
      'InvalidParameterValue',
      'The collection MetricData.member.1.Values must not have a size greater than 150.',
    ],
    [
      '31 dimensions',
      () => new PutMetricDataCommand({ Namespace: 'Bad', MetricData: [datum({ Dimensions: Array.from({ length: 31 }, (_, i) => ({ Name: `d${i}`, Value: 'v' })) })] }),
      'InvalidParameterValue',
      'The collection MetricData.member.1.Dimensions must not have a size greater than 30.',
    ],
    [
      'value and values',
      () => new PutMetricDataCommand({ Namespace: 'Bad', MetricData: [datum(), datum({ Values: [1] })] }),
      'InvalidParameterCombination',
      'The parameters MetricData.member.2.Value and MetricData.member.2.Values are mutually exclusive and you have specified both.',
    ],
    [
      'value and a statistic set',
      () => new PutMetricDataCommand({ Namespace: 'Bad', MetricData: [datum({ StatisticValues: { SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1 } })] }),
      'InvalidParameterCombination',
      'The parameters MetricData.member.1.Value and MetricData.member.1.StatisticValues are mutually exclusive and you have specified both.',
    ],
    [
      'counts of another length',
      () => new PutMetricDataCommand({ Namespace: 'Bad', MetricData: [{ MetricName: 'M', Values: [1, 2], Counts: [1] }] }),
      'InvalidParameterValue',
      'The parameters MetricData.member.1.Values and MetricData.member.1.Counts must be of the same size.',
    ],
    ['a value out of range', () => new PutMetricDataCommand({ Namespace: 'Bad', MetricData: [datum({ Value: 1e200 })] }), 'InvalidParameterValue', 'The value 1e+200 for parameter MetricData.member.1.Value is invalid.'],
    ['an unknown unit', () => new PutMetricDataCommand({ Namespace: 'Bad', MetricData: [datum({ Unit: 'Parsecs' as never })] }), 'InvalidParameterValue', 'The value Parsecs for parameter MetricData.member.1.Unit is invalid.'],
    [
      'no statistics',
      () => new GetMetricStatisticsCommand({ Namespace: 'Bad', MetricName: 'M', Period: 60, ...window() }),
      'InvalidParameterCombination',
      'Must specify either Statistics or ExtendedStatistics',
    ],
    [
      'start after end',
      () => new GetMetricStatisticsCommand({ Namespace: 'Bad', MetricName: 'M', Period: 60, Statistics: ['Sum'], StartTime: new Date(), EndTime: new Date(Date.now() - 60_000) }),
      'InvalidParameterValue',
      'The parameter StartTime must be less than the parameter EndTime.',
    ],
    [
      '501 queries',
      () =>
        new GetMetricDataCommand({
          ...window(),
          MetricDataQueries: Array.from({ length: 501 }, (_, i) => ({ Id: `q${i}`, MetricStat: { Metric: { Namespace: 'Bad', MetricName: 'M' }, Period: 60, Stat: 'Sum' } })),
        }),
      'ValidationError',
      'The collection MetricDataQueries must not have a size greater than 500.',
    ],
    [
      'a query with neither metric nor expression',
      () => new GetMetricDataCommand({ ...window(), MetricDataQueries: [{ Id: 'q' }] }),
      'ValidationError',
      'The parameter MetricDataQueries.member.1.MetricStat is required.\n',
    ],
    [
      'end before start',
      () => new GetMetricDataCommand({ StartTime: new Date(), EndTime: new Date(Date.now() - 60_000), MetricDataQueries: [{ Id: 'q', Expression: '1' }] }),
      'ValidationError',
      'The parameter EndTime must be greater than StartTime.',
    ],
    ['a token never issued', () => new ListMetricsCommand({ NextToken: 'nonsense' }), 'InvalidParameterValue', 'Request parameter NextToken is invalid'],
  ];
  for (const protocol of PROTOCOLS) {
    const client = cloudwatch(protocol);
    for (const [name, command, code, message] of cases) {
      await assert.rejects(
        client.send(command()),
        (err: any) => {
          assert.equal(err.$metadata?.httpStatusCode, 400, `${protocol} ${name}`);
          // The SDK reports the query code (x-amzn-query-error for JSON and CBOR, <Code> for query).
          assert.equal(err.Code ?? err.name, code, `${protocol} ${name}`);
          assert.equal(err.message, message, `${protocol} ${name}`);
          return true;
        },
        `${protocol}: ${name}`,
      );
    }
  }
});

/** A signed-looking request by hand (signatures are not verified without --credentials). */
function raw(path: string, headers: Record<string, string>, body: Buffer | string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  const url = new URL(path, server.endpoint);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        headers: {
          authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261205/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=00',
          'x-amz-date': '20261205T000000Z',
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

test('RPC v2 CBOR answers with its protocol header and tag-1 float64 timestamps; the query protocol with XML', async () => {
  await cloudwatch().send(new PutMetricDataCommand({ Namespace: 'Wire', MetricData: [{ MetricName: 'M', Value: 2 }] }));
  const { cborOf } = await import('../src/cloudwatch/protocol/output.js');
  const request = cborOf({
    StartTime: new Date(Date.now() - 600_000),
    EndTime: new Date(Date.now() + 120_000),
    MetricDataQueries: [{ Id: 'm', MetricStat: { Metric: { Namespace: 'Wire', MetricName: 'M' }, Period: 60, Stat: 'Sum' } }],
  });
  const answer = await raw('/service/GraniteServiceVersion20100801/operation/GetMetricData', { 'smithy-protocol': 'rpc-v2-cbor', 'content-type': 'application/cbor', accept: 'application/cbor' }, request);
  assert.equal(answer.status, 200);
  assert.equal(answer.headers['smithy-protocol'], 'rpc-v2-cbor');
  assert.equal(answer.headers['content-type'], 'application/cbor');
  // Tag 1 (0xc1) followed by a float64 (0xfb): what the Java SDK v2 requires.
  assert.ok(answer.body.includes(Buffer.from([0xc1, 0xfb])));
  const decoded = new Decoder({ mapsAsObjects: true, useRecords: false }).decode(answer.body);
  assert.equal(total(decoded.MetricDataResults[0].Values), 2);

  const unknown = await raw('/service/GraniteServiceVersion20100801/operation/PutMetricAlarm', { 'smithy-protocol': 'rpc-v2-cbor', 'content-type': 'application/cbor' }, cborOf({}));
  assert.equal(unknown.status, 400);
  assert.equal(unknown.headers['x-amzn-query-error'], 'InvalidAction;Sender');

  const form = new URLSearchParams({ Action: 'ListMetrics', Version: '2010-08-01', Namespace: 'Wire' }).toString();
  const xml = await raw('/', { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, form);
  assert.equal(xml.status, 200);
  assert.match(
    xml.body.toString(),
    /^<ListMetricsResponse xmlns="http:\/\/monitoring\.amazonaws\.com\/doc\/2010-08-01\/"><ListMetricsResult><Metrics><member><Namespace>Wire<\/Namespace><MetricName>M<\/MetricName><Dimensions\/?>(<\/Dimensions>)?<\/member><\/Metrics><\/ListMetricsResult><ResponseMetadata><RequestId>[0-9a-f-]{36}<\/RequestId><\/ResponseMetadata><\/ListMetricsResponse>/,
  );
  const bad = await raw('/', { 'content-type': 'application/x-www-form-urlencoded' }, 'Action=PutMetricData&Version=2010-08-01&Namespace=AWS%2FX&MetricData.member.1.MetricName=M&MetricData.member.1.Value=1');
  assert.equal(bad.status, 400);
  assert.match(bad.body.toString(), /<Error><Type>Sender<\/Type><Code>InvalidParameterValue<\/Code><Message>The value AWS\/ for parameter Namespace is invalid\.<\/Message><\/Error>/);
});

test('ListMetrics pages by 500 and its token continues the same listing only', async () => {
  const client = cloudwatch();
  for (let batch = 0; batch < 2; batch++) {
    const MetricData = Array.from({ length: 300 }, (_, i) => ({ MetricName: `m${String(batch * 300 + i).padStart(4, '0')}`, Value: 1 }));
    await client.send(new PutMetricDataCommand({ Namespace: 'Paged', MetricData }));
  }
  const first = await client.send(new ListMetricsCommand({ Namespace: 'Paged' }));
  assert.equal(first.Metrics?.length, 500);
  assert.ok(first.NextToken);
  const second = await client.send(new ListMetricsCommand({ Namespace: 'Paged', NextToken: first.NextToken }));
  assert.equal(second.Metrics?.length, 100);
  assert.equal(second.NextToken, undefined);
  const names = [...first.Metrics!, ...second.Metrics!].map((m) => m.MetricName);
  assert.equal(new Set(names).size, 600);
  await assert.rejects(client.send(new ListMetricsCommand({ Namespace: 'Other', NextToken: first.NextToken })), /Request parameter NextToken is invalid/);
});

test('GetMetricData pages by MaxDatapoints, newest first by default', async () => {
  const client = cloudwatch();
  const now = Date.now();
  const minute = 60_000;
  const MetricData = [1, 2, 3, 4, 5].map((n) => ({ MetricName: 'Paging', Value: n, Timestamp: new Date(now - n * minute) }));
  await client.send(new PutMetricDataCommand({ Namespace: 'Pages', MetricData }));
  const queries = [{ Id: 'p', MetricStat: { Metric: { Namespace: 'Pages', MetricName: 'Paging' }, Period: 60, Stat: 'Sum' } }];
  const range = { StartTime: new Date(now - 10 * minute), EndTime: new Date(now + minute) };
  const first = await client.send(new GetMetricDataCommand({ ...range, MetricDataQueries: queries, MaxDatapoints: 3 }));
  assert.deepEqual(first.MetricDataResults?.[0].Values, [1, 2, 3]);
  assert.equal(first.MetricDataResults?.[0].StatusCode, 'PartialData');
  const rest = await client.send(new GetMetricDataCommand({ ...range, MetricDataQueries: queries, MaxDatapoints: 3, NextToken: first.NextToken }));
  assert.deepEqual(rest.MetricDataResults?.[0].Values, [4, 5]);
  assert.equal(rest.MetricDataResults?.[0].StatusCode, 'Complete');
  assert.equal(rest.NextToken, undefined);
  const ascending = await client.send(new GetMetricDataCommand({ ...range, MetricDataQueries: queries, ScanBy: 'TimestampAscending' }));
  assert.deepEqual(ascending.MetricDataResults?.[0].Values, [5, 4, 3, 2, 1]);
  await assert.rejects(client.send(new GetMetricDataCommand({ ...range, MetricDataQueries: queries, NextToken: 'bad' })), (err: any) => err.name === 'InvalidNextToken');
});

/** The store part on every embedded store: one-minute aggregates, merged across writers, kept 14 days. */
async function exerciseStore(store: Store): Promise<void> {
  const metrics = new MetricStore(store);
  const scope = { account: ACCOUNT, region: REGION };
  const minute = Math.floor(Date.now() / 60_000) * 60_000;
  // Characters a key must survive on every store: slashes, spaces, percent signs, colons.
  const metric = { namespace: 'Store/app 1%', metricName: 'Lag: p/s', dimensions: [{ Name: 'Shard', Value: 'a b/c' }] };
  // Two writers at once (two nodes): compare-and-set merges both.
  await Promise.all([
    metrics.put(scope, [{ metric, timestamp: minute + 1000, unit: 'Milliseconds', sample: { kind: 'values', values: [5, 7], counts: [1, 1] } }]),
    metrics.put(scope, [{ metric, timestamp: minute + 2000, unit: 'Milliseconds', sample: { kind: 'set', sampleCount: 3, sum: 30, min: 1, max: 20 } }]),
    metrics.put(scope, [{ metric, timestamp: minute - 3 * 60_000, unit: 'Milliseconds', sample: { kind: 'values', values: [100], counts: [1] } }]),
  ]);
  const query = { ...scope, namespace: metric.namespace, metricName: metric.metricName, dimensions: metric.dimensions, start: minute - 10 * 60_000, end: minute + 60_000, period: 60 };
  assert.deepEqual(await queryMetric(store, { ...query, stat: 'Sum' }), { timestamps: [minute - 3 * 60_000, minute], values: [100, 42], unit: 'Milliseconds' });
  assert.deepEqual((await queryMetric(store, { ...query, stat: 'Maximum' })).values, [100, 20]);
  assert.deepEqual((await queryMetric(store, { ...query, stat: 'SampleCount', period: 3600 })).values, [6]);
  assert.deepEqual((await queryMetric(store, { ...query, stat: 'Average', unit: 'Seconds' })).values, []);
  assert.deepEqual(
    (await listMetrics(store, scope)).map((m) => [m.namespace, m.metricName, m.dimensions]),
    [[metric.namespace, metric.metricName, metric.dimensions]],
  );
  // Past the retention everything goes: data first, then the metric itself.
  const hours = new Set([minute - 3 * 60_000, minute].map((t) => Math.floor(t / 3600_000))).size;
  assert.deepEqual(await metrics.sweep(minute + 14 * 24 * 3600_000 + 2 * 3600_000), { hours, series: 1 });
  assert.deepEqual(await listMetrics(store, scope), []);
  assert.deepEqual((await queryMetric(store, { ...query, stat: 'Sum' })).values, []);
}

test('the metric store on the memory store', async () => {
  const store = openMemoryStore();
  try {
    await exerciseStore(store);
  } finally {
    await store.close();
  }
});

test('the metric store on LMDB', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-cw-'));
  const store = openLmdbStore({ path: dir });
  try {
    await exerciseStore(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the metric store on NATS JetStream, two nodes writing the same minutes', async (t) => {
  const missing = natsServerMissing();
  if (missing) return t.skip(missing);
  const cluster = await NatsCluster.start(1);
  const a = await openNatsStore({ url: cluster.url, replicas: 1 });
  const b = await openNatsStore({ url: cluster.url, replicas: 1 });
  try {
    await exerciseStore(a);
    // Each node adds its own counts; both land in the one aggregate.
    const scope = { account: ACCOUNT, region: REGION };
    const metric = { namespace: 'Nodes', metricName: 'Puts', dimensions: [] };
    const now = Date.now();
    await Promise.all(
      [a, b].flatMap((store) => [1, 2, 3].map((n) => new MetricStore(store).put(scope, [{ metric, timestamp: now, unit: 'Count', sample: { kind: 'values', values: [n], counts: [1] } }]))),
    );
    const series = await queryMetric(b, { ...scope, ...metric, start: now - 60_000, end: now + 60_000, period: 60, stat: 'Sum' });
    assert.equal(total(series.values), 12);
  } finally {
    await a.close();
    await b.close();
    await cluster.stop();
  }
});
