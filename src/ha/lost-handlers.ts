/**
 * The onLost bookkeeping shared by the Leadership implementations (./file-lock-leadership.ts,
 * ./pg-advisory-leadership.ts): handlers registered with onLost() are called in order when
 * leadership is lost; one handler throwing is logged and does not stop the others.
 */
import type { Logger } from '../log.js';

export class LostHandlers {
  private readonly handlers: Array<(reason: Error) => void> = [];

  add(handler: (reason: Error) => void): void {
    this.handlers.push(handler);
  }

  /** Call every handler with `reason`, logging (not rethrowing) what a handler throws. */
  notify(reason: Error, logger: Logger): void {
    for (const h of this.handlers) {
      try {
        h(reason);
      } catch (err) {
        logger.error({ err }, 'leadership-lost handler failed');
      }
    }
  }
}
