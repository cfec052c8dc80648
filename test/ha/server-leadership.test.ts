/**
 * BrokerServer and its leadership, in one process (fast): standby until the lock is free, then
 * active; stop() while standby; fencing when the lock is lost (listeners closed, clients cut,
 * admin no longer active, onLeadershipLost called).
 */
import net from 'node:net';
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { lockPathFor } from '../../src/ha/create-leadership.js';
import { silentLogger } from '../../src/log.js';
import { BrokerServer } from '../../src/server/broker-server.js';
import { api, tempDir } from '../support/broker-process.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function config(dir: string, lockPollMs = 30) {
  return loadConfig({
    env: {},
    overrides: {
      dataDir: dir,
      logLevel: 'silent',
      ha: { lockPollMs },
      listeners: {
        host: '127.0.0.1',
        mqtt: { port: 0, tlsPort: null }, amqp: { port: 0, tlsPort: null }, stomp: { port: 0, tlsPort: null }, aws: { port: 0, tlsPort: null }, ws: { port: 0, tlsPort: null },
        admin: { port: 0, host: '127.0.0.1' },
      },
    },
  });
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
}

describe('BrokerServer leadership', () => {
  it('waits as standby (admin only, 503) while another server holds the store, then takes over when it stops', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const first = await BrokerServer.start(config(dir.path), { logger: silentLogger });
    cleanups.push(() => first.stop());
    expect(first.currentRole).toBe('active');
    await first.broker.send({ kind: 'queue', name: 'handover' }, { body: Buffer.from('m1'), properties: {}, headers: {}, persistent: true });

    let standby: BrokerServer | undefined;
    const second = BrokerServer.start(config(dir.path), { logger: silentLogger, onStandby: (s) => { standby = s; } });
    cleanups.push(async () => (await second.catch(() => undefined))?.stop());
    for (let i = 0; i < 200 && !standby; i++) await new Promise((r) => setTimeout(r, 10));
    expect(standby).toBeDefined();
    expect(Object.keys(standby!.ports)).toEqual(['admin']);
    const health = await api(standby!.ports.admin!, 'GET', '/healthz');
    expect(health).toMatchObject({ status: 503, json: { role: 'standby' } });
    expect((await api(standby!.ports.admin!, 'GET', '/api/queues')).status).toBe(503);
    expect(() => standby!.broker).toThrow(/not active/);

    await first.stop();
    const active = await second;
    expect(active).toBe(standby);
    expect(active.currentRole).toBe('active');
    expect(active.ports.stomp).toBeGreaterThan(0);
    expect((await api(active.ports.admin!, 'GET', '/healthz')).status).toBe(200);
    expect(active.broker.getQueue('handover')!.stats().visible).toBe(1);
  });

  it('stop() while standby abandons the wait: start rejects, the admin port closes', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const first = await BrokerServer.start(config(dir.path), { logger: silentLogger });
    cleanups.push(() => first.stop());
    let standby: BrokerServer | undefined;
    const second = BrokerServer.start(config(dir.path), { logger: silentLogger, onStandby: (s) => { standby = s; } });
    const outcome = second.then(() => 'started', (err: Error) => err.message);
    for (let i = 0; i < 200 && !standby; i++) await new Promise((r) => setTimeout(r, 10));
    const adminPort = standby!.ports.admin!;
    await standby!.stop();
    expect(await outcome).toMatch(/not active/);
    await expect(connect(adminPort)).rejects.toThrow(/ECONNREFUSED/);
    expect(first.currentRole).toBe('active');
  });

  it('fencing: when the lock file is deleted the active stops serving at once and reports the loss', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const cfg = config(dir.path);
    let lost: Error | undefined;
    const server = await BrokerServer.start(cfg, { logger: silentLogger, onLeadershipLost: (reason) => { lost = reason; } });
    cleanups.push(() => server.stop());
    const client = await connect(server.ports.stomp!);
    const clientClosed = new Promise<void>((r) => client.once('close', () => r()));
    client.on('error', () => undefined); // reset by the fencing server

    const t0 = Date.now();
    rmSync(lockPathFor(cfg.store.type === 'sqlite' ? cfg.store.path : ''));
    for (let i = 0; i < 100 && !lost; i++) await new Promise((r) => setTimeout(r, 10));
    expect(lost?.message).toMatch(/lock file/);
    expect(Date.now() - t0).toBeLessThan(500);
    await clientClosed;
    expect(server.currentRole).toBe('stopping');
    await expect(connect(server.ports.stomp!)).rejects.toThrow(/ECONNREFUSED/);
    const health = await api(server.ports.admin!, 'GET', '/healthz');
    expect(health).toMatchObject({ status: 503, json: { role: 'stopping' } });
    await server.stop();
  });
});
