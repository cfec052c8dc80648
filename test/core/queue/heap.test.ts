import { describe, expect, it } from 'vitest';
import { createMessage } from '../../../src/core/message.js';
import { createEntry, type QueueEntry } from '../../../src/core/queue/entry.js';
import { byDueAt, byPriorityThenSeq, EntryHeap } from '../../../src/core/queue/entry-heap.js';
import { FifoGroup } from '../../../src/core/queue/fifo-groups.js';

function entry(seq: number, priority: number, dueAt = 0): QueueEntry {
  const e = createEntry({ seq, id: `id${seq}`, message: createMessage('x'), enqueuedAt: 0, availableAt: 0, receiveCount: 0, priority, persisted: false, groupId: '', expiresAt: Infinity });
  e.dueAt = dueAt;
  return e;
}

// Deterministic PRNG so failures reproduce.
function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

describe('EntryHeap', () => {
  it('pops in (priority desc, seq asc) order under random pushes and removals', () => {
    const rand = rng(42);
    const heap = new EntryHeap(byPriorityThenSeq, 'vIdx');
    const live = new Set<QueueEntry>();
    for (let i = 1; i <= 2000; i++) {
      const e = entry(i, Math.floor(rand() * 10));
      heap.push(e);
      live.add(e);
      if (rand() < 0.3) {
        const victim = [...live][Math.floor(rand() * live.size)]!;
        expect(heap.remove(victim)).toBe(true);
        expect(victim.vIdx).toBe(-1);
        live.delete(victim);
      }
    }
    expect(heap.size).toBe(live.size);
    const expected = [...live].sort((a, b) => b.priority - a.priority || a.seq - b.seq).map((e) => e.seq);
    const popped: number[] = [];
    for (let e = heap.pop(); e; e = heap.pop()) popped.push(e.seq);
    expect(popped).toEqual(expected);
  });

  it('update() reorders after a key change and a removed entry can be pushed again', () => {
    const heap = new EntryHeap(byDueAt, 'dIdx');
    const a = entry(1, 0, 100);
    const b = entry(2, 0, 200);
    const c = entry(3, 0, 300);
    for (const e of [a, b, c]) heap.push(e);
    c.dueAt = 50;
    heap.update(c);
    expect(heap.peek()).toBe(c);
    heap.remove(c);
    expect(heap.has(c)).toBe(false);
    expect(() => heap.push(a)).toThrow(/already/);
    heap.push(c);
    expect([heap.pop(), heap.pop(), heap.pop(), heap.pop()]).toEqual([c, a, b, undefined]);
  });
});

describe('FifoGroup', () => {
  it('keeps seq order, removes head and middle, inserts out of order', () => {
    const g = new FifoGroup('g');
    const es = [1, 2, 3, 5].map((s) => entry(s, 0));
    for (const e of es) g.add(e);
    const four = entry(4, 0);
    g.add(four);
    expect(g.head!.seq).toBe(1);
    g.remove(es[0]!);
    expect(g.head!.seq).toBe(2);
    g.remove(es[2]!); // 3, from the middle
    expect(g.size).toBe(3);
    g.remove(es[1]!);
    expect(g.head).toBe(four);
    g.remove(four);
    g.remove(es[3]!);
    expect(g.size).toBe(0);
    expect(g.head).toBeUndefined();
  });
});
