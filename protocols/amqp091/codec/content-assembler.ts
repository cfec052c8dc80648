/**
 * One channel's command assembly: a method that carries content waits for its content header and
 * body frames (body-size bytes in total, any number of frames); every other method is a command
 * at once. Frames out of that order are UNEXPECTED_FRAME (505), as RabbitMQ raises them.
 */
import { AmqpError } from '../errors.js';
import { FrameType } from '../spec/constants.js';
import { decodeContentHeader, type BasicProperties } from './content-header.js';
import type { Frame } from './frame-parser.js';
import { decodeMethod, type DecodedMethod } from './method-codec.js';

export interface Command {
  method: DecodedMethod;
  /** Present for content-bearing methods. */
  content?: { properties: BasicProperties; body: Buffer };
}

export interface AssemblerLimits {
  /** Largest body accepted; a larger declared body size is refused before it arrives. */
  maxBodyBytes: number;
  /** Methods this side accepts (others are COMMAND_INVALID 503 at once, before any content). Default: all. */
  accepts?: (m: DecodedMethod) => boolean;
}

type State =
  | { kind: 'idle' }
  | { kind: 'header'; method: DecodedMethod }
  | { kind: 'body'; method: DecodedMethod; properties: BasicProperties; size: number; chunks: Buffer[]; received: number };

export class ContentAssembler {
  private state: State = { kind: 'idle' };

  constructor(private readonly limits: AssemblerLimits) {}

  /** Forget a half-assembled command (the channel closed). */
  reset(): void {
    this.state = { kind: 'idle' };
  }

  get idle(): boolean {
    return this.state.kind === 'idle';
  }

  /** Feed one frame of this channel; returns the command it completes, if any. */
  push(f: Frame): Command | undefined {
    const s = this.state;
    switch (f.type) {
      case FrameType.METHOD: {
        if (s.kind !== 'idle') {
          throw new AmqpError('UNEXPECTED_FRAME', `expected content ${s.kind} for ${s.method.def.name}, got a method frame instead`, site(s.method));
        }
        const method = decodeMethod(f.payload);
        if (this.limits.accepts && !this.limits.accepts(method)) {
          throw new AmqpError('COMMAND_INVALID', `'${method.def.name}' is not a method a client sends`, site(method));
        }
        if (!method.def.content) return { method };
        this.state = { kind: 'header', method };
        return undefined;
      }
      case FrameType.HEADER: {
        if (s.kind !== 'header') {
          throw new AmqpError('UNEXPECTED_FRAME', s.kind === 'idle' ? 'expected method frame, got a content header instead' : `expected content body for ${s.method.def.name}, got a content header`, s.kind === 'idle' ? {} : site(s.method));
        }
        const h = decodeContentHeader(f.payload);
        if (h.classId !== s.method.def.classId) {
          throw new AmqpError('UNEXPECTED_FRAME', `expected content header for class ${s.method.def.classId}, got one for class ${h.classId}`, site(s.method));
        }
        if (h.bodySize > this.limits.maxBodyBytes) {
          this.state = { kind: 'idle' };
          throw new AmqpError('PRECONDITION_FAILED', `message size ${h.bodySize} is larger than configured max size ${this.limits.maxBodyBytes}`, site(s.method));
        }
        if (h.bodySize === 0) {
          this.state = { kind: 'idle' };
          return { method: s.method, content: { properties: h.properties, body: Buffer.alloc(0) } };
        }
        this.state = { kind: 'body', method: s.method, properties: h.properties, size: h.bodySize, chunks: [], received: 0 };
        return undefined;
      }
      case FrameType.BODY: {
        if (s.kind !== 'body') {
          throw new AmqpError('UNEXPECTED_FRAME', s.kind === 'idle' ? 'expected method frame, got a content body instead' : `expected content header for ${s.method.def.name}, got a content body`, s.kind === 'idle' ? {} : site(s.method));
        }
        s.received += f.payload.length;
        if (s.received > s.size) {
          throw new AmqpError('UNEXPECTED_FRAME', `content body of ${s.received} bytes exceeds the declared ${s.size}`, site(s.method));
        }
        s.chunks.push(f.payload);
        if (s.received < s.size) return undefined;
        this.state = { kind: 'idle' };
        const body = s.chunks.length === 1 ? s.chunks[0]! : Buffer.concat(s.chunks, s.size);
        return { method: s.method, content: { properties: s.properties, body } };
      }
      default:
        throw new AmqpError('UNEXPECTED_FRAME', `frame type ${f.type} on channel ${f.channel}`);
    }
  }
}

function site(m: DecodedMethod): { classId: number; methodId: number } {
  return { classId: m.def.classId, methodId: m.def.methodId };
}
