import { StompParser, type StompParserOptions } from '../../../protocols/stomp/frame-parser.js';
import type { StompFrame } from '../../../protocols/stomp/frame.js';

export type ParseEvent =
  | { type: 'frame'; command: string; headers: Array<[string, string]>; body: string }
  | { type: 'heartbeat' }
  | { type: 'error'; code: string; message: string };

export type Feed = 'whole' | 'bytes' | 'random';

export const DEFAULT_LIMITS = { maxFrameBytes: 1 << 20, maxHeaders: 100, maxHeaderLineBytes: 8192 };

/** Deterministic PRNG (mulberry32) so random splits are reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function chunks(input: Buffer, feed: Feed, seed = 1): Buffer[] {
  if (feed === 'whole') return [input];
  if (feed === 'bytes') return Array.from({ length: input.length }, (_, i) => input.subarray(i, i + 1));
  const rand = rng(seed);
  const out: Buffer[] = [];
  let i = 0;
  while (i < input.length) {
    const len = 1 + Math.floor(rand() * Math.min(64, input.length - i));
    out.push(input.subarray(i, i + len));
    i += len;
  }
  return out;
}

/** Frames with the body shown as latin1 so that NULs and raw bytes are visible and exact. */
export function frameEvent(frame: StompFrame): ParseEvent {
  return { type: 'frame', command: frame.command, headers: frame.headers, body: frame.body.toString('latin1') };
}

export function parse(
  input: Buffer | string,
  opts: Partial<StompParserOptions> = {},
  feed: Feed = 'whole',
  seed = 1,
): { events: ParseEvent[]; frames: StompFrame[]; parser: StompParser } {
  const events: ParseEvent[] = [];
  const frames: StompFrame[] = [];
  const parser = new StompParser({
    ...DEFAULT_LIMITS,
    ...opts,
    onFrame: (f) => {
      frames.push(f);
      events.push(frameEvent(f));
      opts.onFrame?.(f);
    },
    onHeartbeat: () => events.push({ type: 'heartbeat' }),
    onError: (e) => events.push({ type: 'error', code: e.code, message: e.message }),
  });
  const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  for (const c of chunks(bytes, feed, seed)) parser.push(c);
  return { events, frames, parser };
}

/** Parse with every feeding strategy and require identical results; returns them. */
export function parseEveryWay(input: Buffer | string, opts: Partial<StompParserOptions> = {}): ParseEvent[] {
  const whole = parse(input, opts, 'whole').events;
  const bytes = parse(input, opts, 'bytes').events;
  if (JSON.stringify(bytes) !== JSON.stringify(whole)) {
    throw new Error(`byte-by-byte parse differs:\n${JSON.stringify(bytes)}\nvs whole:\n${JSON.stringify(whole)}`);
  }
  for (let seed = 1; seed <= 8; seed++) {
    const random = parse(input, opts, 'random', seed).events;
    if (JSON.stringify(random) !== JSON.stringify(whole)) {
      throw new Error(`random split (seed ${seed}) differs:\n${JSON.stringify(random)}\nvs whole:\n${JSON.stringify(whole)}`);
    }
  }
  return whole;
}

export function fr(command: string, headers: Array<[string, string]>, body = ''): ParseEvent {
  return { type: 'frame', command, headers, body };
}

export const HB: ParseEvent = { type: 'heartbeat' };

export function errorCodes(events: ParseEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'error' ? [e.code] : []));
}
