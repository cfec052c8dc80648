/**
 * The ordered frame pipeline of one STOMP connection.
 *
 * - Frames are handled one after the other, in arrival order. A handler returns its frame's
 *   completion (a promise, e.g. a SEND's store commit) or nothing (done at once); it may call
 *   `block(p)` to stop the pipeline until `p` settles, when later frames must not start before it
 *   is done (CONNECT, SUBSCRIBE, COMMIT, ...). Otherwise completions overlap.
 * - A RECEIPT is written when its frame and every earlier frame completed successfully.
 * - A handler that throws, or a completion that rejects, is reported once to `fail` (with the
 *   frame) and no later RECEIPT is written.
 */
import { header, type StompFrame } from './frame.js';

export interface PipelineHost {
  handle(frame: StompFrame): Promise<void> | void;
  fail(err: unknown, frame: StompFrame): void;
  writeReceipt(receiptId: string): void;
  /** False once the connection closes or disconnects: frames are then dropped. */
  accepting(): boolean;
  /** `blocked` changed: the host pauses or resumes reading. */
  blockedChanged(): void;
}

const DONE: Promise<boolean> = Promise.resolve(true);

export class FramePipeline {
  private readonly inbox: StompFrame[] = [];
  private isBlocked = false;
  /** Settles when every frame so far completed; false once one failed. */
  private tail: Promise<boolean> = DONE;

  constructor(private readonly host: PipelineHost) {}

  get blocked(): boolean {
    return this.isBlocked;
  }

  /** Settles (true if all succeeded) once every frame pushed so far has completed. */
  settled(): Promise<boolean> {
    return this.tail;
  }

  push(frame: StompFrame): void {
    if (!this.host.accepting()) return;
    this.inbox.push(frame);
    if (!this.isBlocked) this.process();
  }

  /** Take no further frame until `until` settles (call from a handler). */
  block(until: Promise<unknown>): void {
    this.isBlocked = true;
    this.host.blockedChanged();
    const resume = (): void => {
      this.isBlocked = false;
      if (!this.host.accepting()) return;
      this.host.blockedChanged();
      this.process();
    };
    until.then(resume, resume);
  }

  clear(): void {
    this.inbox.length = 0;
  }

  private process(): void {
    while (!this.isBlocked && this.inbox.length > 0 && this.host.accepting()) {
      const frame = this.inbox.shift()!;
      let done: Promise<void> | void;
      try {
        done = this.host.handle(frame);
      } catch (err) {
        this.host.fail(err, frame);
        return;
      }
      this.complete(frame, done);
    }
  }

  private complete(frame: StompFrame, done: Promise<void> | void): void {
    const receipt = frame.command === 'CONNECT' || frame.command === 'STOMP' || frame.command === 'DISCONNECT' ? undefined : header(frame, 'receipt');
    if (done === undefined && receipt === undefined) return;
    const ok = done === undefined ? DONE : done.then(() => true, (err: unknown) => {
      this.host.fail(err, frame);
      return false;
    });
    const prev = this.tail;
    this.tail = prev.then((a) => ok.then((b) => a && b));
    if (receipt !== undefined) {
      void this.tail.then((allOk) => {
        if (allOk) this.host.writeReceipt(receipt);
      });
    }
  }
}
