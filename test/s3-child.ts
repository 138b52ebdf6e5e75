/**
 * A Millrace process for the S3 client tests: serves a data directory (fs object store) on a free
 * port with the credentials given, prints its endpoint as one JSON line, and runs until killed.
 */
import { startMillrace } from '../src/server.js';

const [dataDir, credentials] = process.argv.slice(2);
if (!dataDir || !credentials) throw new Error('usage: s3-child <dataDir> <credentials JSON>');
const server = await startMillrace({ port: 0, host: '127.0.0.1', dataDir, credentials, logLevel: (process.env.S3_CHILD_LOG as 'debug') ?? 'silent' });
process.stdout.write(JSON.stringify({ endpoint: server.endpoint }) + '\n');
