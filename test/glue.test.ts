import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CreateDatabaseCommand,
  CreateTableCommand,
  DeleteDatabaseCommand,
  DeleteTableCommand,
  GetDatabaseCommand,
  GetDatabasesCommand,
  GetPartitionIndexesCommand,
  GetTableCommand,
  GetTagsCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateDatabaseCommand,
  GetTablesCommand,
  GlueClient,
  UpdateTableCommand,
} from '@aws-sdk/client-glue';
import { startTestServer, type TestServer } from './helpers.js';
import { storeGlueCatalog } from '../src/glue/catalog.js';
import { DataCatalog, type TableDocument } from '../src/glue/domain/data-catalog.js';
import { openMemoryStore } from '../src/store/memory-store.js';
import { openNatsStore } from '../src/store/nats-store.js';
import type { Store } from '../src/store/store.js';
import { NatsCluster, natsServerMissing } from './nats-cluster.js';

const run = promisify(execFile);
let server: TestServer;
let glue: GlueClient;

before(async () => {
  server = await startTestServer();
  glue = client('AKIDGLUE');
});
after(async () => {
  glue.destroy();
  await server.stop();
});

function client(accessKeyId: string, region = 'us-east-1'): GlueClient {
  return new GlueClient({ endpoint: server.endpoint, region, credentials: { accessKeyId, secretAccessKey: 'secret' }, maxAttempts: 1 });
}

/** The error an SDK call fails with: its __type name and the service's message. */
async function failure(promise: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await promise;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  assert.fail('the call succeeded');
}

const columns = [
  { Name: 'id', Type: 'bigint' },
  { Name: 'name', Type: 'string', Comment: 'who' },
];

test('databases: create (name lower-cased), get in either case, defaults, duplicate, not found', async () => {
  const before = Date.now();
  await glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: 'Sales_DB', Description: 'sales', LocationUri: 's3://b/sales/', Parameters: { k: 'v' } } }));
  const { Database } = await glue.send(new GetDatabaseCommand({ Name: 'SALES_db' }));
  assert.equal(Database?.Name, 'sales_db');
  assert.equal(Database?.Description, 'sales');
  assert.equal(Database?.LocationUri, 's3://b/sales/');
  assert.deepEqual(Database?.Parameters, { k: 'v' });
  assert.equal(Database?.CatalogId, '000000000000');
  assert.deepEqual(Database?.CreateTableDefaultPermissions, [{ Principal: { DataLakePrincipalIdentifier: 'IAM_ALLOWED_PRINCIPALS' }, Permissions: ['ALL'] }]);
  assert.ok(Database?.CreateTime instanceof Date && Database.CreateTime.getTime() >= before - 1000);

  assert.deepEqual(await failure(glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: 'sales_db' } }))), {
    name: 'AlreadyExistsException',
    message: 'Database already exists.',
    status: 400,
  });
  assert.deepEqual(await failure(glue.send(new GetDatabaseCommand({ Name: 'nope' }))), { name: 'EntityNotFoundException', message: 'Database nope not found.', status: 400 });
  assert.deepEqual(await failure(glue.send(new DeleteDatabaseCommand({ Name: 'nope' }))), { name: 'EntityNotFoundException', message: 'Database nope not found.', status: 400 });
});

test('model validation: ValidationException with the model constraint texts; unknown Glue operations', async () => {
  const tooLong = 'x'.repeat(256);
  assert.deepEqual(await failure(glue.send(new GetDatabaseCommand({ Name: tooLong }))), {
    name: 'ValidationException',
    message: `1 validation error detected: Value '${tooLong}' at 'name' failed to satisfy constraint: Member must have length less than or equal to 255`,
    status: 400,
  });
  // The model's name pattern (with its surrogate-pair range read as astral code points).
  assert.deepEqual(await failure(glue.send(new GetDatabaseCommand({ Name: 'bad\u0001name' }))), {
    name: 'ValidationException',
    message:
      "1 validation error detected: Value 'bad\u0001name' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\t]*",
    status: 400,
  });
  assert.equal((await failure(glue.send(new GetDatabaseCommand({ Name: 'db_🌊' })))).message, 'Database db_🌊 not found.');
  const page = await failure(glue.send(new GetDatabasesCommand({ MaxResults: 101 })));
  assert.equal(page.name, 'ValidationException');
  assert.equal(page.message, "1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100");
  // The raw wire: Glue's errors carry `Message`; an operation Millrace does not serve is unknown.
  const authorization = 'AWS4-HMAC-SHA256 Credential=AKIDRAW/20240101/us-east-1/glue/aws4_request, SignedHeaders=host, Signature=abc';
  const raw = await fetch(server.endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'AWSGlue.GetTable', Authorization: authorization, 'X-Amz-Date': '20240101T000000Z' },
    body: JSON.stringify({ DatabaseName: 'nope', Name: 't' }),
  });
  assert.equal(raw.status, 400);
  assert.deepEqual(await raw.json(), { __type: 'EntityNotFoundException', Message: 'Database nope not found.' });
  const unknown = await fetch(server.endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'AWSGlue.StartCrawler', Authorization: authorization, 'X-Amz-Date': '20240101T000000Z' },
    body: JSON.stringify({ Name: 'c' }),
  });
  assert.equal(unknown.status, 400);
  assert.equal(((await unknown.json()) as { __type: string }).__type, 'UnknownOperationException');
});

test('tables: create, get, VersionId increments on update, CreateTime kept, UpdateTime moves, errors', async () => {
  await glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: 'events' } }));
  const tableInput = {
    Name: 'Clicks',
    TableType: 'EXTERNAL_TABLE',
    Parameters: { classification: 'parquet' },
    StorageDescriptor: {
      Columns: columns,
      Location: 's3://bucket/clicks/',
      InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
      OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
      SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
    },
    PartitionKeys: [{ Name: 'dt', Type: 'string' }],
  };
  await glue.send(new CreateTableCommand({ DatabaseName: 'EVENTS', TableInput: tableInput }));
  const { Table } = await glue.send(new GetTableCommand({ DatabaseName: 'events', Name: 'CLICKS' }));
  assert.equal(Table?.Name, 'clicks');
  assert.equal(Table?.DatabaseName, 'events');
  assert.equal(Table?.CatalogId, '000000000000');
  assert.equal(Table?.VersionId, '0');
  assert.equal(Table?.TableType, 'EXTERNAL_TABLE');
  assert.equal(Table?.Retention, 0);
  assert.equal(Table?.IsRegisteredWithLakeFormation, false);
  assert.deepEqual(Table?.StorageDescriptor?.Columns, columns);
  assert.deepEqual(Table?.PartitionKeys, [{ Name: 'dt', Type: 'string' }]);
  assert.equal(Table?.StorageDescriptor?.SerdeInfo?.SerializationLibrary, 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe');
  assert.ok(Table?.CreateTime instanceof Date);
  assert.equal(Table?.UpdateTime?.getTime(), Table?.CreateTime?.getTime());

  assert.deepEqual(await failure(glue.send(new CreateTableCommand({ DatabaseName: 'events', TableInput: { Name: 'clicks' } }))), {
    name: 'AlreadyExistsException',
    message: 'Table already exists.',
    status: 400,
  });
  assert.deepEqual(await failure(glue.send(new CreateTableCommand({ DatabaseName: 'nodb', TableInput: { Name: 't' } }))), {
    name: 'EntityNotFoundException',
    message: 'Database nodb not found.',
    status: 400,
  });
  assert.deepEqual(await failure(glue.send(new GetTableCommand({ DatabaseName: 'events', Name: 'views' }))), {
    name: 'EntityNotFoundException',
    message: 'Table views not found.',
    status: 400,
  });
  assert.deepEqual(await failure(glue.send(new GetTableCommand({ DatabaseName: 'nodb', Name: 'views' }))), {
    name: 'EntityNotFoundException',
    message: 'Database nodb not found.',
    status: 400,
  });

  // UpdateTable replaces the definition: the second column goes, a new one arrives.
  await new Promise((resolve) => setTimeout(resolve, 5)); // UpdateTime must differ from CreateTime
  await glue.send(new UpdateTableCommand({ DatabaseName: 'events', TableInput: { ...tableInput, StorageDescriptor: { ...tableInput.StorageDescriptor, Columns: [columns[0], { Name: 'ts', Type: 'timestamp' }] } } }));
  const updated = (await glue.send(new GetTableCommand({ DatabaseName: 'events', Name: 'clicks' }))).Table!;
  assert.equal(updated.VersionId, '1');
  assert.deepEqual(updated.StorageDescriptor?.Columns, [columns[0], { Name: 'ts', Type: 'timestamp' }]);
  assert.equal(updated.CreateTime?.getTime(), Table?.CreateTime?.getTime());
  assert.ok(updated.UpdateTime!.getTime() > Table!.CreateTime!.getTime());
  await glue.send(new UpdateTableCommand({ DatabaseName: 'events', VersionId: '1', TableInput: tableInput }));
  assert.equal((await glue.send(new GetTableCommand({ DatabaseName: 'events', Name: 'clicks' }))).Table?.VersionId, '2');
  const stale = await failure(glue.send(new UpdateTableCommand({ DatabaseName: 'events', VersionId: '1', TableInput: tableInput })));
  assert.equal(stale.name, 'ConcurrentModificationException');
  assert.deepEqual(await failure(glue.send(new UpdateTableCommand({ DatabaseName: 'events', TableInput: { Name: 'views' } }))), {
    name: 'EntityNotFoundException',
    message: 'Table views not found.',
    status: 400,
  });

  // The catalog delivery reads sees the same table (either spelling), and its archived versions.
  const catalog = storeGlueCatalog(server.store);
  const seen = await catalog.getTable('000000000000', 'us-east-1', 'Events', 'Clicks');
  assert.equal(seen?.VersionId, '2');
  assert.deepEqual(seen?.StorageDescriptor?.Columns, columns);
  assert.equal((await catalog.getTable('000000000000', 'us-east-1', 'events', 'clicks', undefined, 'LATEST'))?.VersionId, '2');
  assert.deepEqual((await catalog.getTable('000000000000', 'us-east-1', 'events', 'clicks', undefined, '0'))?.StorageDescriptor?.Columns, columns);
  const v1 = await catalog.getTable('000000000000', 'us-east-1', 'events', 'clicks', undefined, '1');
  assert.deepEqual(v1?.StorageDescriptor?.Columns?.map((c) => c.Name), ['id', 'ts']);
  assert.equal(await catalog.getTable('000000000000', 'us-east-1', 'events', 'clicks', undefined, '7'), undefined);
  // SkipArchive: the replaced version is not kept.
  await glue.send(new UpdateTableCommand({ DatabaseName: 'events', SkipArchive: true, TableInput: tableInput }));
  assert.equal((await catalog.getTable('000000000000', 'us-east-1', 'events', 'clicks', undefined, '3'))?.VersionId, '3');
  assert.equal(await catalog.getTable('000000000000', 'us-east-1', 'events', 'clicks', undefined, '2'), undefined);

  await glue.send(new DeleteTableCommand({ DatabaseName: 'events', Name: 'Clicks' }));
  assert.equal((await failure(glue.send(new GetTableCommand({ DatabaseName: 'events', Name: 'clicks' })))).message, 'Table clicks not found.');
  assert.deepEqual(await failure(glue.send(new DeleteTableCommand({ DatabaseName: 'events', Name: 'clicks' }))), {
    name: 'EntityNotFoundException',
    message: 'Table clicks not found.',
    status: 400,
  });
  assert.equal(await storeGlueCatalog(server.store).getTable('000000000000', 'us-east-1', 'events', 'clicks'), undefined);
});

test('paging: GetDatabases and GetTables with MaxResults and NextToken, Expression filter, bad token', async () => {
  const paged = client('AKIDPAGING', 'eu-west-1');
  try {
    for (const name of ['d3', 'd1', 'd2']) await paged.send(new CreateDatabaseCommand({ DatabaseInput: { Name: name } }));
    const first = await paged.send(new GetDatabasesCommand({ MaxResults: 2 }));
    assert.deepEqual(first.DatabaseList?.map((d) => d.Name), ['d1', 'd2']);
    assert.ok(first.NextToken);
    const second = await paged.send(new GetDatabasesCommand({ MaxResults: 2, NextToken: first.NextToken }));
    assert.deepEqual(second.DatabaseList?.map((d) => d.Name), ['d3']);
    assert.equal(second.NextToken, undefined);

    for (const name of ['sales_2024', 'sales_2023', 'orders', 'sales_archive']) {
      await paged.send(new CreateTableCommand({ DatabaseName: 'd1', TableInput: { Name: name, StorageDescriptor: { Columns: columns } } }));
    }
    const all: string[] = [];
    let token: string | undefined;
    do {
      const pageOut = await paged.send(new GetTablesCommand({ DatabaseName: 'd1', MaxResults: 3, NextToken: token }));
      assert.ok(pageOut.TableList!.length <= 3);
      all.push(...pageOut.TableList!.map((t) => t.Name!));
      token = pageOut.NextToken;
    } while (token);
    assert.deepEqual(all, ['orders', 'sales_2023', 'sales_2024', 'sales_archive']);
    const filtered = await paged.send(new GetTablesCommand({ DatabaseName: 'd1', Expression: 'sales_20*' }));
    assert.deepEqual(filtered.TableList?.map((t) => t.Name), ['sales_2023', 'sales_2024']);
    const alternatives = await paged.send(new GetTablesCommand({ DatabaseName: 'd1', Expression: 'orders|sales_archive' }));
    assert.deepEqual(alternatives.TableList?.map((t) => t.Name), ['orders', 'sales_archive']);
    assert.deepEqual(await failure(paged.send(new GetTablesCommand({ DatabaseName: 'nodb' }))), { name: 'EntityNotFoundException', message: 'Database nodb not found.', status: 400 });
    const bad = await failure(paged.send(new GetDatabasesCommand({ NextToken: 'garbage!' })));
    assert.equal(bad.name, 'InvalidInputException');

    // Another region of the same account sees none of it; the default catalog is the account.
    const { DatabaseList } = await client('AKIDPAGING', 'us-west-2').send(new GetDatabasesCommand({}));
    assert.deepEqual(DatabaseList, []);

    // Deleting a database deletes its tables: re-creating it finds none.
    await paged.send(new DeleteDatabaseCommand({ Name: 'd1' }));
    await paged.send(new CreateDatabaseCommand({ DatabaseInput: { Name: 'd1' } }));
    assert.deepEqual((await paged.send(new GetTablesCommand({ DatabaseName: 'd1' }))).TableList, []);
  } finally {
    paged.destroy();
  }
});

test('what Terraform reads besides: UpdateDatabase, GetTags/TagResource/UntagResource, GetPartitionIndexes', async () => {
  const tf = client('AKIDTF', 'us-east-2');
  try {
    await tf.send(new CreateDatabaseCommand({ DatabaseInput: { Name: 'tf_db', Description: 'v1' }, Tags: { team: 'data' } }));
    const created = (await tf.send(new GetDatabaseCommand({ Name: 'tf_db' }))).Database!;
    await tf.send(new UpdateDatabaseCommand({ Name: 'TF_DB', DatabaseInput: { Name: 'tf_db', Description: 'v2', Parameters: { p: '1' } } }));
    const updated = (await tf.send(new GetDatabaseCommand({ Name: 'tf_db' }))).Database!;
    assert.equal(updated.Description, 'v2');
    assert.deepEqual(updated.Parameters, { p: '1' });
    assert.equal(updated.CreateTime?.getTime(), created.CreateTime?.getTime());
    assert.deepEqual(await failure(tf.send(new UpdateDatabaseCommand({ Name: 'nodb', DatabaseInput: { Name: 'nodb' } }))), {
      name: 'EntityNotFoundException',
      message: 'Database nodb not found.',
      status: 400,
    });

    const dbArn = 'arn:aws:glue:us-east-2:000000000000:database/tf_db';
    assert.deepEqual((await tf.send(new GetTagsCommand({ ResourceArn: dbArn }))).Tags, { team: 'data' });
    await tf.send(new TagResourceCommand({ ResourceArn: dbArn, TagsToAdd: { env: 'dev', team: 'platform' } }));
    await tf.send(new UntagResourceCommand({ ResourceArn: dbArn, TagsToRemove: ['env', 'absent'] }));
    assert.deepEqual((await tf.send(new GetTagsCommand({ ResourceArn: dbArn }))).Tags, { team: 'platform' });
    assert.deepEqual(await failure(tf.send(new GetTagsCommand({ ResourceArn: 'arn:aws:glue:us-east-2:000000000000:database/other' }))), {
      name: 'EntityNotFoundException',
      message: 'Database other not found.',
      status: 400,
    });

    await tf.send(
      new CreateTableCommand({
        DatabaseName: 'tf_db',
        TableInput: { Name: 'logs', PartitionKeys: [{ Name: 'year', Type: 'int' }, { Name: 'month', Type: 'string' }], StorageDescriptor: { Columns: columns } },
        PartitionIndexes: [{ IndexName: 'by_date', Keys: ['year', 'month'] }],
      }),
    );
    const { PartitionIndexDescriptorList } = await tf.send(new GetPartitionIndexesCommand({ DatabaseName: 'tf_db', TableName: 'logs' }));
    assert.deepEqual(PartitionIndexDescriptorList, [
      { IndexName: 'by_date', Keys: [{ Name: 'year', Type: 'int' }, { Name: 'month', Type: 'string' }], IndexStatus: 'ACTIVE' },
    ]);
    // GetTable does not show them; UpdateTable keeps them.
    assert.equal('partitionIndexes' in ((await tf.send(new GetTableCommand({ DatabaseName: 'tf_db', Name: 'logs' }))).Table ?? {}), false);
    await tf.send(new UpdateTableCommand({ DatabaseName: 'tf_db', TableInput: { Name: 'logs', PartitionKeys: [{ Name: 'year', Type: 'int' }, { Name: 'month', Type: 'string' }] } }));
    assert.equal((await tf.send(new GetPartitionIndexesCommand({ DatabaseName: 'tf_db', TableName: 'logs' }))).PartitionIndexDescriptorList?.length, 1);
    const noIndexes = await tf.send(new CreateTableCommand({ DatabaseName: 'tf_db', TableInput: { Name: 'plain' } }));
    assert.ok(noIndexes);
    assert.deepEqual((await tf.send(new GetPartitionIndexesCommand({ DatabaseName: 'tf_db', TableName: 'plain' }))).PartitionIndexDescriptorList, []);
    assert.deepEqual(await failure(tf.send(new GetPartitionIndexesCommand({ DatabaseName: 'tf_db', TableName: 'nope' }))), {
      name: 'EntityNotFoundException',
      message: 'Table nope not found.',
      status: 400,
    });
    const badIndex = await failure(
      tf.send(new CreateTableCommand({ DatabaseName: 'tf_db', TableInput: { Name: 'bad', StorageDescriptor: { Columns: columns } }, PartitionIndexes: [{ IndexName: 'i', Keys: ['id'] }] })),
    );
    assert.equal(badIndex.name, 'InvalidInputException');

    const tableArn = 'arn:aws:glue:us-east-2:000000000000:table/tf_db/logs';
    await tf.send(new TagResourceCommand({ ResourceArn: tableArn, TagsToAdd: { kind: 'logs' } }));
    assert.deepEqual((await tf.send(new GetTagsCommand({ ResourceArn: tableArn }))).Tags, { kind: 'logs' });
    // Deleting the database takes its tables' and its own tags with it: a new one of the same name has none.
    await tf.send(new DeleteDatabaseCommand({ Name: 'tf_db' }));
    await tf.send(new CreateDatabaseCommand({ DatabaseInput: { Name: 'tf_db' } }));
    assert.deepEqual((await tf.send(new GetTagsCommand({ ResourceArn: dbArn }))).Tags, {});
    await tf.send(new CreateTableCommand({ DatabaseName: 'tf_db', TableInput: { Name: 'logs' } }));
    assert.deepEqual((await tf.send(new GetTagsCommand({ ResourceArn: tableArn }))).Tags, {});
  } finally {
    tf.destroy();
  }
});

const BOTO3_SCRIPT = String.raw`
import boto3, json, os, sys
from botocore.exceptions import ClientError
g = boto3.client('glue', endpoint_url=os.environ['ENDPOINT'], region_name='ap-south-1',
                 aws_access_key_id='AKIDBOTO', aws_secret_access_key='secret')
out = {}
g.create_database(DatabaseInput={'Name': 'Analytics'})
out['db'] = g.get_database(Name='analytics')['Database']['Name']
g.create_table(DatabaseName='analytics', TableInput={'Name': 'Events', 'StorageDescriptor': {'Columns': [{'Name': 'a', 'Type': 'int'}]}})
g.update_table(DatabaseName='analytics', TableInput={'Name': 'events', 'StorageDescriptor': {'Columns': [{'Name': 'a', 'Type': 'bigint'}]}})
t = g.get_table(DatabaseName='analytics', Name='events')['Table']
out['version'] = t['VersionId']
out['type'] = t['StorageDescriptor']['Columns'][0]['Type']
out['tables'] = [x['Name'] for x in g.get_tables(DatabaseName='analytics')['TableList']]
def err(f):
    try:
        f()
    except ClientError as e:
        return [e.response['Error']['Code'], e.response['Error']['Message'], e.response['ResponseMetadata']['HTTPStatusCode']]
out['dup'] = err(lambda: g.create_database(DatabaseInput={'Name': 'analytics'}))
out['missing'] = err(lambda: g.get_table(DatabaseName='analytics', Name='nope'))
g.delete_table(DatabaseName='analytics', Name='events')
g.delete_database(Name='analytics')
out['gone'] = err(lambda: g.get_database(Name='analytics'))
out['dbs'] = [d['Name'] for d in g.get_databases()['DatabaseList']]
print(json.dumps(out))
`;

test('boto3: every operation and the errors as botocore parses them', async (t) => {
  try {
    await run('python3', ['-c', 'import boto3']);
  } catch {
    return t.skip('boto3 not installed');
  }
  const { stdout } = await run('python3', ['-c', BOTO3_SCRIPT], { env: { ...process.env, ENDPOINT: server.endpoint, AWS_EC2_METADATA_DISABLED: 'true' }, timeout: 120_000 });
  assert.deepEqual(JSON.parse(stdout), {
    db: 'analytics',
    version: '1',
    type: 'bigint',
    tables: ['events'],
    dup: ['AlreadyExistsException', 'Database already exists.', 400],
    missing: ['EntityNotFoundException', 'Table nope not found.', 400],
    gone: ['EntityNotFoundException', 'Database analytics not found.', 400],
    dbs: [],
  });
});

/** The same catalog operations on a store: what the Glue API and delivery both rely on. */
async function exerciseCatalog(store: Store): Promise<void> {
  const catalog = new DataCatalog(store.meta);
  const scope = { account: '111122223333', region: 'eu-central-1', catalogId: '111122223333' };
  assert.equal(await catalog.createDatabase(scope, { Name: 'db/with slash', CatalogId: scope.catalogId, CreateTime: 1 }), true);
  assert.equal(await catalog.createDatabase(scope, { Name: 'db/with slash', CatalogId: scope.catalogId, CreateTime: 2 }), false);
  const table = (name: string): TableDocument => ({
    Name: name, DatabaseName: 'db/with slash', CatalogId: scope.catalogId, VersionId: '0', CreateTime: 1, UpdateTime: 1,
    Retention: 0, PartitionKeys: [], IsRegisteredWithLakeFormation: false, StorageDescriptor: { Columns: [{ Name: 'a', Type: 'int' }] },
  });
  assert.equal(await catalog.createTable(scope, table('t.1')), true);
  assert.equal(await catalog.createTable(scope, table('t 2')), true);
  assert.equal(await catalog.createTable(scope, table('t.1')), false);
  assert.deepEqual((await catalog.listTables(scope, 'db/with slash')).map((t) => t.Name).sort(), ['t 2', 't.1']);
  const read = await storeGlueCatalog(store).getTable('111122223333', 'eu-central-1', 'DB/With Slash', 'T.1');
  assert.deepEqual(read?.StorageDescriptor?.Columns, [{ Name: 'a', Type: 'int' }]);
  assert.equal(await catalog.deleteDatabase(scope, 'db/with slash'), true);
  assert.deepEqual(await catalog.listTables(scope, 'db/with slash'), []);
  assert.equal(await catalog.getDatabase(scope, 'db/with slash'), undefined);
}

test('the catalog on the memory store', async () => {
  const store = openMemoryStore();
  try {
    await exerciseCatalog(store);
  } finally {
    await store.close();
  }
});

test('the catalog on NATS JetStream', { skip: natsServerMissing(), timeout: 60_000 }, async () => {
  const cluster = await NatsCluster.start(1);
  try {
    const store = await openNatsStore({ url: cluster.url, replicas: 1 });
    try {
      await exerciseCatalog(store);
    } finally {
      await store.close();
    }
  } finally {
    await cluster.stop();
  }
});

/** Where a local provider mirror may be (CI images carry hashicorp/aws here); override with MILLRACE_TF_PLUGINS. */
const TF_PLUGINS = process.env.MILLRACE_TF_PLUGINS ?? '/opt/tf-plugins';

async function terraformMissing(): Promise<string | undefined> {
  try {
    await run('terraform', ['version']);
  } catch {
    return 'terraform is not installed';
  }
  if (!existsSync(join(TF_PLUGINS, 'registry.terraform.io/hashicorp/aws'))) return `no hashicorp/aws provider mirror under ${TF_PLUGINS}`;
  return undefined;
}

const terraformConfig = (endpoint: string, columnType: string) => `
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}
provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIDTERRAFORM"
  secret_key                  = "secret"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  endpoints {
    glue = "${endpoint}"
  }
}
resource "aws_glue_catalog_database" "db" {
  name       = "firehose_db"
  catalog_id = "000000000000"
  tags       = { team = "data" }
}
resource "aws_glue_catalog_table" "events" {
  name          = "events"
  catalog_id    = "000000000000"
  database_name = aws_glue_catalog_database.db.name
  table_type    = "EXTERNAL_TABLE"
  parameters    = { classification = "parquet" }
  storage_descriptor {
    location      = "s3://bucket/events/"
    input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
    ser_de_info {
      serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    }
    columns {
      name = "id"
      type = "bigint"
    }
    columns {
      name = "at"
      type = "${columnType}"
    }
  }
}
`;

test('Terraform: aws_glue_catalog_database and aws_glue_catalog_table apply, show no drift, update and destroy', { timeout: 600_000 }, async (t) => {
  const missing = await terraformMissing();
  if (missing) return t.skip(missing);
  const dir = mkdtempSync(join(tmpdir(), 'millrace-terraform-'));
  const env = { ...process.env, TF_CLI_CONFIG_FILE: join(dir, 'cli.tfrc'), TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1', TF_PLUGIN_CACHE_DIR: '' };
  const terraform = (...args: string[]) => run('terraform', [...args, '-input=false', '-no-color'], { cwd: dir, env, timeout: 240_000 });
  try {
    writeFileSync(env.TF_CLI_CONFIG_FILE, `provider_installation {\n  filesystem_mirror {\n    path = "${TF_PLUGINS}"\n  }\n}\n`);
    writeFileSync(join(dir, 'main.tf'), terraformConfig(server.endpoint, 'timestamp'));
    await terraform('init');
    await terraform('apply', '-auto-approve');
    const table = (await glue.send(new GetTableCommand({ DatabaseName: 'firehose_db', Name: 'events' }))).Table!;
    assert.deepEqual(table.StorageDescriptor?.Columns?.map((c) => [c.Name, c.Type]), [['id', 'bigint'], ['at', 'timestamp']]);
    assert.deepEqual((await glue.send(new GetTagsCommand({ ResourceArn: 'arn:aws:glue:us-east-1:000000000000:database/firehose_db' }))).Tags, { team: 'data' });
    // What Terraform reads back matches what it wrote: a plan finds nothing to change (exit code 0).
    await terraform('plan', '-detailed-exitcode');
    writeFileSync(join(dir, 'main.tf'), terraformConfig(server.endpoint, 'string'));
    await terraform('apply', '-auto-approve');
    const updated = (await glue.send(new GetTableCommand({ DatabaseName: 'firehose_db', Name: 'events' }))).Table!;
    assert.equal(updated.StorageDescriptor?.Columns?.[1].Type, 'string');
    assert.equal(updated.VersionId, '1');
    await terraform('destroy', '-auto-approve');
    assert.equal((await failure(glue.send(new GetDatabaseCommand({ Name: 'firehose_db' })))).name, 'EntityNotFoundException');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
