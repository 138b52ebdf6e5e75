/** Home: the endpoint and copy-paste client configuration (CONSOLE-SPEC §1.3 "Home", §4.2). */
import type { ServerInfo } from '../api.js';
import { fmtDuration } from '../format.js';
import { currentRoute, href } from '../route.js';
import { html, CopyBlock, type Node } from '../ui.js';

/** Signing name → the `AWS_ENDPOINT_URL_*` variables of its SDK clients (CONSOLE-SPEC §4.2). */
const ENDPOINT_VARIABLES: Record<string, string[]> = {
  kinesis: ['AWS_ENDPOINT_URL_KINESIS'],
  firehose: ['AWS_ENDPOINT_URL_FIREHOSE'],
  s3: ['AWS_ENDPOINT_URL_S3'],
  lambda: ['AWS_ENDPOINT_URL_LAMBDA'],
  glue: ['AWS_ENDPOINT_URL_GLUE'],
  kinesisanalytics: ['AWS_ENDPOINT_URL_KINESIS_ANALYTICS', 'AWS_ENDPOINT_URL_KINESIS_ANALYTICS_V2'],
  kinesisvideo: ['AWS_ENDPOINT_URL_KINESIS_VIDEO', 'AWS_ENDPOINT_URL_KINESIS_VIDEO_MEDIA', 'AWS_ENDPOINT_URL_KINESIS_VIDEO_ARCHIVED_MEDIA'],
  monitoring: ['AWS_ENDPOINT_URL_CLOUDWATCH'],
};

export function HomePage({ info }: { info: ServerInfo }): Node {
  const params = currentRoute().params;
  const region = params.get('region') ?? info.region;
  const account = params.get('account') ?? info.account;
  const e = info.endpoint;
  const exports = [
    `export AWS_ENDPOINT_URL=${e}`,
    ...info.services.flatMap((s) => ENDPOINT_VARIABLES[s] ?? []).map((variable) => `export ${variable}=${e}`),
    `export AWS_REGION=${region}`,
    `export AWS_ACCESS_KEY_ID=${account === '000000000000' ? 'test' : account}`,
    'export AWS_SECRET_ACCESS_KEY=test',
  ].join('\n');
  const snippets: Array<[string, string]> = [
    ['AWS CLI', `aws --endpoint-url ${e} --region ${region} kinesis list-streams\naws --endpoint-url ${e} kinesis put-record --stream-name orders \\\n  --partition-key k1 --data "$(printf '{"id":1}' | base64)"`],
    ['boto3', `import boto3\nkinesis = boto3.client("kinesis", endpoint_url="${e}", region_name="${region}",\n                       aws_access_key_id="test", aws_secret_access_key="test")\nprint(kinesis.list_streams())`],
    ['JavaScript SDK v3', `import { KinesisClient, ListStreamsCommand } from '@aws-sdk/client-kinesis';\nconst kinesis = new KinesisClient({\n  endpoint: '${e}', region: '${region}',\n  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },\n});\nconsole.log(await kinesis.send(new ListStreamsCommand({})));`],
    ['Go SDK v2', `cfg, _ := config.LoadDefaultConfig(ctx, config.WithRegion("${region}"),\n  config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")))\nclient := kinesis.NewFromConfig(cfg, func(o *kinesis.Options) {\n  o.BaseEndpoint = aws.String("${e}")\n})`],
    ['KCL (Java, v2/v3)', `KinesisAsyncClient kinesis = KinesisAsyncClient.builder()\n  .endpointOverride(URI.create("${e}")).region(Region.of("${region}")).build();\n// KCL multilang properties:\nkinesisEndpoint = ${e}\nregionName = ${region}\nmetricsLevel = NONE`],
    ['KPL', `# KPL speaks TLS only: start Millrace with --tls\nKinesisEndpoint = ${new URL(e).hostname}\nKinesisPort = ${new URL(e).port}\nVerifyCertificate = false\nRegion = ${region}`],
  ];
  return html`
    <h1>Millrace ${info.version}</h1>
    <div class="grid">
      <div class="card">
        <dl class="kv">
          <dt>Endpoint</dt><dd><code>${e}</code></dd>
          <dt>Account</dt><dd><code>${account}</code></dd>
          <dt>Region</dt><dd><code>${region}</code></dd>
          <dt>Store</dt><dd>${info.store}</dd>
          <dt>Services</dt><dd>${info.services.join(', ')}</dd>
          <dt>Uptime</dt><dd>${fmtDuration(info.uptimeMs)}</dd>
          <dt>Limits</dt><dd>${info.enforceLimits ? 'enforced (--enforce-limits)' : 'off'}</dd>
        </dl>
        <p class="muted">Streams are kept per account and region, as the request's signature names them; switch above.
        Inspection here does not count against any stream's limits.</p>
        <p><a href=${href(['streams'])}>Streams →</a> · <a href=${href(['firehose'])}>Firehose →</a> · <a href="metrics">Prometheus metrics</a> · <a href="health">health</a></p>
        <p class="muted">Keys: <kbd>g</kbd> <kbd>s</kbd> streams, <kbd>g</kbd> <kbd>f</kbd> Firehose, <kbd>g</kbd> <kbd>a</kbd> Analytics, <kbd>g</kbd> <kbd>k</kbd> Video, <kbd>g</kbd> <kbd>m</kbd> metrics, <kbd>g</kbd> <kbd>v</kbd> server, <kbd>g</kbd> <kbd>h</kbd> home, <kbd>/</kbd> filter.</p>
      </div>
      <div class="card"><${CopyBlock} label="Environment" text=${exports} /></div>
    </div>
    <h2>Clients</h2>
    <div class="grid">${snippets.map(([label, text]) => html`<div class="card"><${CopyBlock} label=${label} text=${text} /></div>`)}</div>`;
}
