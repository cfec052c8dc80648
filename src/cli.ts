#!/usr/bin/env node
/**
 * Command line: `interchange start [flags]`, `interchange hash-password [PASSWORD]`,
 * `interchange --help`, `interchange --version`. See docs/configuration.md for every flag.
 */
import { createLogger } from './log.js';
import { isBrokerError } from './core/errors.js';
import { loadConfig } from './config/load-config.js';
import { parseCliArgs, CLI_USAGE } from './config/cli-args.js';
import { hashPassword } from './security/password-hash.js';
import { BrokerServer } from './server/broker-server.js';
import { VERSION } from './version.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function main(argv: string[]): Promise<number> {
  const args = parseCliArgs(argv);
  switch (args.command) {
    case 'help':
      process.stdout.write(`${CLI_USAGE}\n`);
      return 0;
    case 'version':
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case 'hash-password': {
      const password = args.password ?? (await readStdin());
      if (!password) {
        process.stderr.write('hash-password: give the password as an argument or on stdin\n');
        return 2;
      }
      process.stdout.write(`${await hashPassword(password)}\n`);
      return 0;
    }
    case 'start':
      break;
  }
  const config = loadConfig({ ...(args.configFile ? { file: args.configFile } : {}), env: process.env, overrides: args.overrides });
  const logger = createLogger(config.logLevel);
  // Signal handlers go in first: a standby (waiting for the store lock) must stop cleanly too.
  let server: BrokerServer | undefined;
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, role: server ? undefined : 'starting' }, 'shutdown requested');
    (server ? server.stop() : Promise.resolve()).then(
      () => {
        logger.flush();
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        logger.flush();
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  try {
    server = await BrokerServer.start(config, { logger, onStandby: (s) => { server = s; } });
  } catch (err) {
    if (stopping) return -1; // stopped while standby: the shutdown handler exits
    throw err;
  }
  return -1; // keep running
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    if (isBrokerError(err) && (err.code === 'CONFIG_INVALID' || err.code === 'INVALID_ATTRIBUTE')) {
      process.stderr.write(`interchange: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`interchange: fatal: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
