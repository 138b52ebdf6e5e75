#!/usr/bin/env node
import { ConfigError, helpText, parseConfig } from './config.js';
import { createLogger } from './log.js';
import { startMillrace } from './server.js';

/** `millrace`: start a Kinesis endpoint; stop cleanly on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  let config;
  try {
    config = parseConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`millrace: ${err.message}\n\n${helpText()}`);
    process.exit(2);
  }
  if (config.help) {
    process.stdout.write(helpText());
    return;
  }
  const log = createLogger(config.logLevel);
  const server = await startMillrace(config, log);
  const storage = config.store ? `in NATS JetStream at ${config.store}` : config.memory ? 'in memory' : `in ${config.dataDir}`;
  process.stdout.write(`Millrace Kinesis endpoint: ${server.endpoint} (data ${storage})\n`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    await server.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  process.stderr.write(`millrace: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
