import { describe, expect, it } from 'vitest';
import {
  HeartbeatMonitor,
  negotiateHeartbeat,
  negotiateVersion,
  parseHeartbeatHeader,
  type HeartbeatClock,
} from '../../../protocols/stomp/negotiate.js';
import { isStompProtocolError } from '../../../protocols/stomp/errors.js';
import { ManualClock, type Clock } from '../../../src/core/clock.js';

describe('negotiateVersion', () => {
  it.each([
    [undefined, '1.0'],
    ['1.0', '1.0'],
    ['1.1', '1.1'],
    ['1.2', '1.2'],
    ['1.0,1.1,1.2', '1.2'],
    ['1.2,1.1,1.0', '1.2'],
    ['1.0,1.1', '1.1'],
    ['1.1,2.0', '1.1'],
    [' 1.0 , 1.1 ', '1.1'],
    ['1.3,1.2', '1.2'],
    ['2.0', null],
    ['', null],
    ['1', null],
    ['1.10', null],
    ['abc', null],
  ] as const)('%j → %j', (header, expected) => {
    expect(negotiateVersion(header)).toBe(expected);
  });
});

describe('negotiateHeartbeat', () => {
  const server = { sendMs: 10_000, receiveMs: 10_000 };
  it.each([
    // client header, server, send, expect
    [undefined, server, 0, 0],
    ['0,0', server, 0, 0],
    ['5000,0', server, 0, 10_000],
    ['0,5000', server, 10_000, 0],
    ['5000,5000', server, 10_000, 10_000],
    ['20000,30000', server, 30_000, 20_000],
    ['20000,30000', { sendMs: 0, receiveMs: 10_000 }, 0, 20_000],
    ['20000,30000', { sendMs: 10_000, receiveMs: 0 }, 30_000, 0],
    ['1,1', { sendMs: 0, receiveMs: 0 }, 0, 0],
    [' 1000 , 2000 ', server, 10_000, 10_000],
    ['1000,2000', { sendMs: 500, receiveMs: 700 }, 2000, 1000],
  ] as const)('client %j, server %j → send every %d, expect every %d', (clientHeader, srv, send, expect_) => {
    const r = negotiateHeartbeat(clientHeader, srv);
    expect(r).toEqual({ sendEveryMs: send, expectEveryMs: expect_, connectedHeader: `${send},${expect_}` });
  });

  it('the CONNECTED header lets the client derive the same intervals', () => {
    for (const [cx, cy] of [[0, 0], [1000, 0], [0, 1000], [3000, 20_000], [20_000, 3000]] as const) {
      const r = negotiateHeartbeat(`${cx},${cy}`, server);
      const [sx, sy] = parseHeartbeatHeader(r.connectedHeader);
      const clientSends = cx === 0 || sy === 0 ? 0 : Math.max(cx, sy);
      const clientExpects = cy === 0 || sx === 0 ? 0 : Math.max(cy, sx);
      expect(clientSends).toBe(r.expectEveryMs);
      expect(clientExpects).toBe(r.sendEveryMs);
    }
  });

  it.each(['', '1000', '1000,', ',1000', 'a,b', '-1,0', '1.5,0', '1000;1000', '1,2,3', '1e3,0', '9999999999999999,0'])(
    'rejects %j with INVALID_HEARTBEAT',
    (h) => {
      let err: unknown;
      try {
        negotiateHeartbeat(h, server);
      } catch (e) {
        err = e;
      }
      expect(isStompProtocolError(err, 'INVALID_HEARTBEAT')).toBe(true);
    },
  );

  it('rejects a bad server configuration', () => {
    expect(() => negotiateHeartbeat('0,0', { sendMs: -1, receiveMs: 0 })).toThrow(RangeError);
  });
});

describe('HeartbeatMonitor', () => {
  function setup(opts: { send: number; expect: number; factor?: number; grace?: number }) {
    const clock = new ManualClock(0);
    const log: string[] = [];
    const monitor = new HeartbeatMonitor({
      sendEveryMs: opts.send,
      expectEveryMs: opts.expect,
      clock,
      onSend: () => log.push(`send@${clock.now()}`),
      onTimeout: () => log.push(`timeout@${clock.now()}`),
      ...(opts.factor !== undefined ? { toleranceFactor: opts.factor } : {}),
      ...(opts.grace !== undefined ? { graceMs: opts.grace } : {}),
    });
    return { clock, log, monitor };
  }

  it('accepts the core Clock as its clock', () => {
    const c: Clock = new ManualClock(0);
    const hc: HeartbeatClock = c;
    expect(hc.now()).toBe(0);
  });

  it('sends a heart-beat every sendEveryMs while idle', () => {
    const { clock, log, monitor } = setup({ send: 1000, expect: 0 });
    monitor.start();
    clock.advance(3500);
    expect(log).toEqual(['send@1000', 'send@2000', 'send@3000']);
  });

  it('does not send while other writes keep the connection busy, and resumes exactly sendEveryMs after the last one', () => {
    const { clock, log, monitor } = setup({ send: 1000, expect: 0 });
    monitor.start();
    for (let t = 0; t < 5; t++) {
      clock.advance(400);
      monitor.sent();
    }
    expect(log).toEqual([]);
    expect(clock.now()).toBe(2000);
    clock.advance(999);
    expect(log).toEqual([]);
    clock.advance(1);
    expect(log).toEqual(['send@3000']);
    clock.advance(1000);
    expect(log).toEqual(['send@3000', 'send@4000']);
  });

  it('times out after expectEveryMs * 2 of silence by default', () => {
    const { clock, log, monitor } = setup({ send: 0, expect: 1000 });
    monitor.start();
    expect(monitor.receiveTimeoutMs).toBe(2000);
    clock.advance(1999);
    expect(log).toEqual([]);
    clock.advance(1);
    expect(log).toEqual(['timeout@2000']);
    expect(monitor.hasTimedOut).toBe(true);
    expect(monitor.isRunning).toBe(false);
    clock.advance(10_000);
    expect(log).toEqual(['timeout@2000']);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('received() pushes the deadline back', () => {
    const { clock, log, monitor } = setup({ send: 0, expect: 1000 });
    monitor.start();
    clock.advance(1500);
    monitor.received();
    clock.advance(1500);
    monitor.received();
    clock.advance(1999);
    expect(log).toEqual([]);
    clock.advance(1);
    expect(log).toEqual(['timeout@5000']);
  });

  it('honours a tolerance factor and a grace period', () => {
    const { clock, log, monitor } = setup({ send: 0, expect: 1000, factor: 1.5, grace: 250 });
    monitor.start();
    expect(monitor.receiveTimeoutMs).toBe(1750);
    clock.advance(1749);
    expect(log).toEqual([]);
    clock.advance(1);
    expect(log).toEqual(['timeout@1750']);
  });

  it('drives both directions at once; the timeout stops the sending too', () => {
    const { clock, log, monitor } = setup({ send: 400, expect: 1000 });
    monitor.start();
    clock.advance(2500);
    expect(log).toEqual(['send@400', 'send@800', 'send@1200', 'send@1600', 'timeout@2000']);
  });

  it('does nothing when both intervals are 0, and stop() cancels everything', () => {
    const a = setup({ send: 0, expect: 0 });
    a.monitor.start();
    expect(a.clock.pendingTimers()).toBe(0);
    const b = setup({ send: 100, expect: 100 });
    b.monitor.start();
    b.clock.advance(150);
    b.monitor.stop();
    b.monitor.stop();
    b.clock.advance(10_000);
    expect(b.log).toEqual(['send@100']);
    expect(b.clock.pendingTimers()).toBe(0);
  });

  it('start() is idempotent', () => {
    const { clock, log, monitor } = setup({ send: 100, expect: 0 });
    monitor.start();
    monitor.start();
    clock.advance(100);
    expect(log).toEqual(['send@100']);
  });

  it('rejects bad options', () => {
    const base = { onSend: () => undefined, onTimeout: () => undefined };
    expect(() => new HeartbeatMonitor({ ...base, sendEveryMs: -1, expectEveryMs: 0 })).toThrow(RangeError);
    expect(() => new HeartbeatMonitor({ ...base, sendEveryMs: 0, expectEveryMs: 0, toleranceFactor: 0.5 })).toThrow(RangeError);
  });

  it('works on real timers with the default clock', async () => {
    let sends = 0;
    const monitor = new HeartbeatMonitor({ sendEveryMs: 10, expectEveryMs: 0, onSend: () => sends++, onTimeout: () => undefined });
    monitor.start();
    await new Promise((r) => setTimeout(r, 60));
    monitor.stop();
    expect(sends).toBeGreaterThanOrEqual(2);
  });
});
