/**
 * Loading configuration (and parsing the command line) reads the listener families from the
 * protocol registry without importing any protocol engine: the registry lists light
 * protocols/<p>/listener.ts declarations, and a front-end's code is imported only by its load().
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/broker-process.js';

function packagesImportedBy(script: string): string[] {
  const hooks = pathToFileURL(join(ROOT, 'test/config/fixtures/record-packages.mjs')).href;
  const register = `data:text/javascript,import{register}from'node:module';register(${JSON.stringify(hooks)});`;
  const r = spawnSync(process.execPath, ['--import', register, '--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const names = r.stderr.split('\n').filter((l) => l.startsWith('PACKAGE ')).map((l) => l.slice('PACKAGE '.length));
  return [...new Set(names)].filter((n) => !['tsx', 'esbuild', 'get-tsconfig', 'resolve-pkg-maps'].includes(n)).sort();
}

describe('configuration loading stays light', () => {
  it('loadConfig and parseCliArgs import no npm package; loading the front-ends does', () => {
    const src = (p: string): string => JSON.stringify(pathToFileURL(join(ROOT, p)).href);
    expect(packagesImportedBy(`
      const { loadConfig } = await import(${src('src/config/load-config.ts')});
      const { parseCliArgs, CLI_USAGE } = await import(${src('src/config/cli-args.ts')});
      loadConfig({ env: {}, overrides: parseCliArgs(['--mqtt-port', '1884']).overrides });
      if (!CLI_USAGE.includes('--stomps-port')) process.exit(3);
    `)).toEqual([]);
    // The same registry, loaded: the check above would see the engines if config imported them.
    expect(packagesImportedBy(`
      const { BUILT_IN_PROTOCOLS, loadProtocols } = await import(${src('src/server/protocol-registry.ts')});
      await loadProtocols(BUILT_IN_PROTOCOLS);
    `)).toEqual(expect.arrayContaining(['aedes', 'rhea', 'ws']));
  });
});
