/**
 * A Millrace process for the crash test: serves a data directory on a free port, prints its
 * endpoint as one JSON line, and runs until it is killed.
 */
import { startMillrace } from '../src/server.js';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: crash-child <dataDir>');
const server = await startMillrace({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' });
process.stdout.write(JSON.stringify({ endpoint: server.endpoint }) + '\n');
