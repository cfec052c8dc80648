/**
 * Command-line parsing for the `interchange` executable (the caller passes process.argv.slice(2)).
 *
 *   interchange start [options]            run the broker (also when only options are given)
 *   interchange hash-password [PASSWORD]   print a password hash; without PASSWORD the caller reads stdin
 *   interchange help | --help | -h
 *   interchange version | --version | -v
 *
 * Flag values are parsed and checked here by the type of the key they set, so a bad value is
 * reported naming the flag. `--flag value` and `--flag=value` are both accepted; a later
 * occurrence of a flag wins; `--` ends options (for a password that starts with `-`).
 */
import type { ConfigIssue } from './errors.js';
import { ConfigError, showValue, suggest } from './errors.js';
import { setPath } from './layer.js';
import { BUILT_IN_PROTOCOLS, configFamilies, listenerFlags, listenerUsage, type ProtocolRegistry } from './listener-keys.js';
import { type Config, configSchema, type DeepPartial, schemaAt } from './schema.js';
import { parseString } from './validate.js';

export type CliCommand = 'start' | 'hash-password' | 'help' | 'version';
const COMMANDS: readonly CliCommand[] = ['start', 'hash-password', 'help', 'version'];

export interface CliArgs {
  command: CliCommand;
  configFile?: string;
  overrides: DeepPartial<Config>;
  password?: string;
}

/** Start flags that set a configuration key, before and after the listener families' port flags. */
const FLAGS_BEFORE_LISTENERS: ReadonlyArray<[string, string]> = [
  ['--data-dir', 'dataDir'],
  ['--log-level', 'logLevel'],
  ['--host', 'listeners.host'],
];
const FLAGS_AFTER_LISTENERS: ReadonlyArray<[string, string]> = [
  ['--admin-port', 'listeners.admin.port'],
  ['--admin-host', 'listeners.admin.host'],
  ['--store', 'store.type'],
  ['--store-path', 'store.path'],
  ['--store-url', 'store.url'],
  ['--tls-cert', 'tls.cert'],
  ['--tls-key', 'tls.key'],
  ['--tls-ca', 'tls.ca'],
];

/**
 * Start flags that set a configuration key: flag → key path. Each listener family adds
 * `--<name>-port` and `--<tlsName>-port` (`--mqtt-port`, `--mqtts-port`; listener-keys.ts).
 */
export function cliFlags(registry: ProtocolRegistry = BUILT_IN_PROTOCOLS): ReadonlyMap<string, string> {
  return new Map([...FLAGS_BEFORE_LISTENERS, ...listenerFlags(configFamilies(registry)), ...FLAGS_AFTER_LISTENERS]);
}

/** The built-in registry's flags. */
export const CLI_FLAGS: ReadonlyMap<string, string> = cliFlags();

/** key path → flag, for labelling override keys in loadConfig's messages. */
export function flagForPath(registry: ProtocolRegistry = BUILT_IN_PROTOCOLS): ReadonlyMap<string, string> {
  return new Map([...cliFlags(registry)].map(([f, p]) => [p, f]));
}

export const FLAG_FOR_PATH: ReadonlyMap<string, string> = flagForPath();

const HELP_FLAGS = new Set(['--help', '-h']);
const VERSION_FLAGS = new Set(['--version', '-v', '-V']);
const CONFIG_FLAG = '--config';

export interface ParseCliOptions {
  /** Protocols whose listener flags are accepted; default the built-in ones. */
  registry?: ProtocolRegistry;
}

export function parseCliArgs(argv: string[], opts: ParseCliOptions = {}): CliArgs {
  const registry = opts.registry ?? BUILT_IN_PROTOCOLS;
  const flags = registry === BUILT_IN_PROTOCOLS ? CLI_FLAGS : cliFlags(registry);
  const schema = registry === BUILT_IN_PROTOCOLS ? undefined : configSchema(registry);
  const issues: ConfigIssue[] = [];
  const overrides: Record<string, unknown> = {};
  const positional: string[] = [];
  const optionsSeen: string[] = [];
  let configFile: string | undefined;
  let help = false;
  let version = false;
  let endOfOptions = false;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (endOfOptions || arg === '-' || !arg.startsWith('-')) {
      positional.push(arg);
      continue;
    }
    if (arg === '--') {
      endOfOptions = true;
      continue;
    }
    if (HELP_FLAGS.has(arg)) {
      help = true;
      continue;
    }
    if (VERSION_FLAGS.has(arg)) {
      version = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 && arg.startsWith('--') ? arg.slice(0, eq) : arg;
    const path = flags.get(flag);
    if (flag !== CONFIG_FLAG && path === undefined) {
      const hint = suggest(flag, [...flags.keys(), CONFIG_FLAG, '--help', '--version']);
      issues.push({ path: '', message: `unknown option ${flag}${hint ? ` (did you mean ${hint}?)` : ''}` });
      if (eq < 0 && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('-')) i++; // skip its probable value
      continue;
    }
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) value = argv[++i];
    if (value === undefined) {
      issues.push({ path: '', message: `option ${flag} needs a value` });
      continue;
    }
    optionsSeen.push(flag);
    if (flag === CONFIG_FLAG) {
      if (value.length === 0) issues.push({ path: '', message: `option ${CONFIG_FLAG}: expected a file path, got ""` });
      else configFile = value;
      continue;
    }
    const parsed = parseString(schemaAt(path!, schema)!, value, path!, flag, issues);
    if (parsed !== undefined) setPath(overrides, path!, parsed);
  }

  if (help) return { command: 'help', overrides: {} };
  if (version) return { command: 'version', overrides: {} };

  let command: CliCommand;
  if (positional.length === 0) command = argv.length === 0 ? 'help' : 'start';
  else if ((COMMANDS as readonly string[]).includes(positional[0]!)) command = positional.shift() as CliCommand;
  else {
    const hint = suggest(positional[0]!, COMMANDS);
    issues.push({ path: '', message: `unknown command ${showValue(positional[0])}${hint ? ` (did you mean ${hint}?)` : ''}; expected one of ${COMMANDS.join(', ')}` });
    command = 'help';
  }

  let password: string | undefined;
  if (command === 'hash-password') {
    for (const flag of optionsSeen) issues.push({ path: '', message: `option ${flag} is not valid with hash-password` });
    password = positional.shift();
  }
  if (positional.length > 0 && command !== 'help') {
    issues.push({ path: '', message: `unexpected argument ${showValue(positional[0])} for ${command}` });
  }

  if (issues.length > 0) throw new ConfigError(issues);
  const result: CliArgs = { command, overrides: command === 'start' ? (overrides as DeepPartial<Config>) : {} };
  if (configFile !== undefined) result.configFile = configFile;
  if (password !== undefined) result.password = password;
  return result;
}

/** Usage text for `interchange --help`; the listener lines come from the registry's families. */
export function cliUsage(registry: ProtocolRegistry = BUILT_IN_PROTOCOLS): string {
  return `Usage:
  interchange start [options]             run the broker
  interchange hash-password [PASSWORD]    print a password hash for security.users (reads stdin without PASSWORD)
  interchange --help | --version

Options for start (each overrides the config file and INTERCHANGE_* variables):
  --config FILE          JSON config file (also INTERCHANGE_CONFIG)
  --data-dir DIR         data directory (default ./data)
  --log-level LEVEL      fatal|error|warn|info|debug|trace|silent (default info)
  --host HOST            listener bind address (default 0.0.0.0)
${listenerUsage(configFamilies(registry))}  --admin-port N         admin HTTP port (8162)     --admin-host H   admin bind address (default --host)
                         a port of 0 picks a free port; off disables the listener
  --store TYPE           sqlite|memory|postgres (default sqlite)
  --store-path FILE      SQLite file (default DATA_DIR/interchange.db)
  --store-url URL        PostgreSQL connection URL
  --tls-cert FILE        PEM certificate; with --tls-key enables the TLS listeners
  --tls-key FILE         PEM private key
  --tls-ca FILE          PEM CA bundle for client certificates
`;
}

/** Usage text of the built-in registry. */
export const CLI_USAGE = cliUsage();
