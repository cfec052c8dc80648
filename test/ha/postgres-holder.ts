/**
 * Child process for the PostgreSQL leadership tests: takes the advisory lock on the URL argv[2]
 * (poll interval argv[3], default 100 ms), prints `held <backend pid>` and then just stays alive
 * until it is killed. Prints `lost <reason>` if the lock is lost.
 */
import { PgAdvisoryLeadership } from '../../src/ha/pg-advisory-leadership.js';
import { silentLogger } from '../../src/log.js';

const url = process.argv[2];
if (!url) throw new Error('usage: postgres-holder <url> [pollMs]');
const leadership = new PgAdvisoryLeadership({ url, pollMs: Number(process.argv[3] ?? 100), logger: silentLogger });
leadership.onLost((reason) => process.stdout.write(`lost ${reason.message}\n`));
await leadership.acquire();
process.stdout.write(`held ${leadership.backendPid}\n`);
setInterval(() => {}, 60_000);
