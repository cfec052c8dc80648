/**
 * Configuration errors. Every problem found while loading configuration (file, environment,
 * command line, or the cross-checks after merging them) becomes one ConfigIssue; loadConfig
 * collects all issues of a layer and throws one ConfigError listing them, so an operator fixes
 * everything in one go instead of one error per restart.
 */
import { BrokerError } from '../core/errors.js';

export interface ConfigIssue {
  /** Key path such as `listeners.mqtt.port` or `security.users[0].name`; '' for issues not tied to a key. */
  path: string;
  /** What is wrong, e.g. `expected an integer 0..65535 or null, got "abc"`. */
  message: string;
  /** Where the bad value came from: `file ./x.json`, `env INTERCHANGE_LOG_LEVEL`, `--mqtt-port`, ... */
  source?: string;
  /** The message already names the key (`unknown key listeners.mqt`): do not prefix the path. */
  standalone?: boolean;
}

export function formatIssue(issue: ConfigIssue): string {
  const head = issue.path && !issue.standalone ? `${issue.path}: ${issue.message}` : issue.message;
  return issue.source ? `${head} (from ${issue.source})` : head;
}

export class ConfigError extends BrokerError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: ConfigIssue[], options?: { cause?: unknown }) {
    const detail =
      issues.length === 1
        ? formatIssue(issues[0]!)
        : `${issues.length} problems:\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`;
    super('CONFIG_INVALID', detail, options);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** Render a user-supplied value for an error message: JSON, truncated. */
export function showValue(value: unknown): string {
  // Values come from JSON.parse, the env/CLI parsers or typed overrides: always JSON-serialisable.
  const s = value === undefined ? 'nothing' : (JSON.stringify(value) ?? String(value));
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Edit distance, for "did you mean" hints on unknown keys, variables and flags. */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const d = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (d < bestDist) {
      bestDist = d;
      best = c;
    }
  }
  return best !== undefined && bestDist <= Math.max(2, Math.floor(word.length / 4)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
