import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';

describe('ManualClock', () => {
  it('fires timers in time order, including ones scheduled while advancing', () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    clock.setTimer(20, () => fired.push('b'));
    clock.setTimer(10, () => {
      fired.push('a');
      clock.setTimer(5, () => fired.push(`a2@${clock.now()}`));
    });
    const c = clock.setTimer(15, () => fired.push('cancelled'));
    c.cancel();
    clock.advance(9);
    expect(fired).toEqual([]);
    clock.advance(11);
    expect(fired).toEqual(['a', 'a2@15', 'b']);
    expect(clock.now()).toBe(20);
    expect(clock.pendingTimers()).toBe(0);
  });
});
