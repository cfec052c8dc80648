/**
 * Failover benchmark: N kill -9 / takeover cycles of an active/standby pair of real broker
 * processes on one data directory, under load on MQTT, STOMP and AMQP 1.0 (the workload of
 * test/ha/failover-workload.ts: producers count only acknowledged messages, consumers ack late
 * so messages are in flight at every kill).
 *
 *   npx tsx bench/failover-bench.ts [--cycles 20] [--poll-ms 500] [--per-cycle 150]
 *
 * Each cycle: clients on the active, produce until `per-cycle` more messages are acknowledged,
 * kill -9 the active, wait for the standby's 'interchange broker started' line (takeover time,
 * from the kill) and for a TCP connect to its MQTT port, start a fresh standby on the same
 * directory, repeat. At the end every acknowledged message must have been consumed.
 */
import net from 'node:net';
import { parseArgs } from 'node:util';
import { startBrokerProcess, tempDir, type BrokerProcess } from '../test/support/broker-process.js';
import { FailoverWorkload, PROTOS } from '../test/ha/failover-workload.js';

const { values } = parseArgs({
  options: {
    cycles: { type: 'string', default: '20' },
    'poll-ms': { type: 'string', default: '500' },
    'per-cycle': { type: 'string', default: '150' },
  },
});
const cycles = Number(values.cycles);
const pollMs = Number(values['poll-ms']);
const perCycle = Number(values['per-cycle']);
const env = { INTERCHANGE_HA_LOCK_POLL_MS: String(pollMs) };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

async function connectOnce(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => { s.destroy(); resolve(); });
    s.once('error', reject);
  });
}

function stats(xs: number[]): { median: number; max: number; min: number } {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { median: s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2, max: s[s.length - 1]!, min: s[0]! };
}

const procs: BrokerProcess[] = [];
async function broker(dir: string): Promise<BrokerProcess> {
  const p = await startBrokerProcess(dir, ['--log-level', 'info'], env, { allowStandby: true, timeoutMs: 30_000 });
  procs.push(p);
  return p;
}

const dir = tempDir('interchange-failover-bench-');
const w = new FailoverWorkload({ tag: 'bench', producersPerProtocol: 2, ackDelayMs: 20 });
const logTakeover: number[] = [];
const connectTakeover: number[] = [];
try {
  let active = await broker(dir.path);
  if (active.role !== 'active') throw new Error('first broker is not active');
  let activePorts = await active.active;
  let standby = await broker(dir.path);
  if (standby.role !== 'standby') throw new Error('second broker is not standby');
  for (let cycle = 1; cycle <= cycles; cycle++) {
    await w.connect(activePorts);
    const target = w.totalAcked() + perCycle;
    w.startProducing();
    await waitFor(() => w.totalAcked() >= target, `cycle ${cycle}: traffic`);
    const killedAt = Date.now();
    active.child.kill('SIGKILL');
    await w.stopProducing();
    w.dropClients();
    const ports = await standby.active;
    const loggedMs = standby.activeAt! - killedAt;
    await connectOnce(ports.mqtt!);
    const connectedMs = Date.now() - killedAt;
    logTakeover.push(loggedMs);
    connectTakeover.push(connectedMs);
    console.log(`cycle ${String(cycle).padStart(2)}: takeover ${loggedMs} ms ('started' logged), ${connectedMs} ms (TCP connect), acked so far ${w.totalAcked()}`);
    await active.exited;
    active = standby;
    activePorts = ports;
    standby = await broker(dir.path);
    if (standby.role !== 'standby') throw new Error(`cycle ${cycle}: the new process is not standby`);
  }
  // drain on the last active
  await w.connect(activePorts);
  w.startProducing();
  await sleep(200);
  await w.stopProducing();
  await waitFor(() => w.missing().length === 0, 'every acknowledged message consumed', 30_000).catch((err: unknown) => {
    console.error((err as Error).message);
  });
  w.dropClients();
  const lt = stats(logTakeover);
  const ct = stats(connectTakeover);
  console.log('');
  console.log(`failover bench: ${cycles} kill -9 cycles, lock poll ${pollMs} ms, ~${perCycle} acknowledged messages per cycle over MQTT/STOMP/AMQP 1.0`);
  console.log('| measure | median | min | max |');
  console.log('|---|---:|---:|---:|');
  console.log(`| takeover: kill -9 → standby logs 'interchange broker started' (ms) | ${lt.median} | ${lt.min} | ${lt.max} |`);
  console.log(`| takeover: kill -9 → TCP connect to the new active's MQTT port (ms) | ${ct.median} | ${ct.min} | ${ct.max} |`);
  console.log('');
  console.log(`| protocol | acknowledged | lost | duplicates | redelivery-flagged receipts | duplicates without flag |`);
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const p of PROTOS) {
    const lost = [...w.acked[p]].filter((b) => !w.received[p].has(b)).length;
    console.log(`| ${p} | ${w.acked[p].size} | ${lost} | ${w.duplicates(p)} | ${w.flags[p].flagged} | ${w.flags[p].dupUnflagged} |`);
  }
  const lostTotal = w.missing().length;
  console.log(`| all | ${w.totalAcked()} | ${lostTotal} | ${w.duplicates()} | ${w.flagged} | ${w.dupUnflagged} |`);
  if (lostTotal > 0) process.exitCode = 1;
} finally {
  for (const p of procs) await p.stop('SIGKILL');
  dir.cleanup();
}
