/**
 * Opaque receipt handles for pull receives: `<instance>.<seq36>.<n36>`. The instance part is
 * random per Queue object, so receipts from before a restart are invalid after it; `n` makes
 * every receive's receipt new, so a receipt goes stale when its message is received again.
 */
import { randomBytes } from 'node:crypto';

export class ReceiptIssuer {
  private readonly prefix = `${randomBytes(6).toString('base64url')}.`;
  private counter = 0;

  issue(seq: number): string {
    this.counter += 1;
    return `${this.prefix}${seq.toString(36)}.${this.counter.toString(36)}`;
  }

  /** The seq a receipt names, or undefined if it is not one of ours. Validity is checked by the caller. */
  seqOf(receipt: unknown): number | undefined {
    if (typeof receipt !== 'string' || !receipt.startsWith(this.prefix)) return undefined;
    const dot = receipt.indexOf('.', this.prefix.length);
    if (dot < 0) return undefined;
    const seq = parseInt(receipt.slice(this.prefix.length, dot), 36);
    return Number.isSafeInteger(seq) ? seq : undefined;
  }
}
