/** Configuration: types and defaults, loading (file < env < CLI), command-line parsing. */
export * from './schema.js';
export { ConfigError, type ConfigIssue, formatIssue } from './errors.js';
export { loadConfig, redactConfig, redactUrl, type LoadConfigOptions } from './load-config.js';
export { parseCliArgs, cliFlags, cliUsage, CLI_USAGE, CLI_FLAGS, type CliArgs, type CliCommand, type ParseCliOptions } from './cli-args.js';
export { ENV_VARS, envVars, envVarFor, CONFIG_FILE_ENV } from './env-overrides.js';
export { configFamilies, familyPorts } from './listener-keys.js';
