/**
 * Frames out: a method frame, a method with content (method, content header, body frames cut
 * at frame-max), heartbeats.
 */
import { FRAME_END, FRAME_OVERHEAD, FrameType } from '../spec/constants.js';
import type { MethodDef } from '../spec/method-table.js';
import { encodeContentHeader, type BasicProperties } from './content-header.js';
import { encodeMethod, type MethodArgs } from './method-codec.js';

export const HEARTBEAT_FRAME = Buffer.from([FrameType.HEARTBEAT, 0, 0, 0, 0, 0, 0, FRAME_END]);

export function frame(type: number, channel: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(payload.length + FRAME_OVERHEAD);
  out[0] = type;
  out.writeUInt16BE(channel, 1);
  out.writeUInt32BE(payload.length, 3);
  payload.copy(out, 7);
  out[out.length - 1] = FRAME_END;
  return out;
}

export function methodFrame(channel: number, def: MethodDef, args: Readonly<Partial<MethodArgs>> = {}): Buffer {
  return frame(FrameType.METHOD, channel, encodeMethod(def, args));
}

/**
 * A content-bearing method and its content: [method frame, header frame, body frames...], each
 * body frame at most frame-max bytes (0 = no limit).
 */
export function contentFrames(
  channel: number, def: MethodDef, args: Readonly<Partial<MethodArgs>>, properties: BasicProperties, body: Buffer, frameMax: number,
): Buffer[] {
  const out = [
    methodFrame(channel, def, args),
    frame(FrameType.HEADER, channel, encodeContentHeader({ classId: def.classId, bodySize: body.length, properties })),
  ];
  const max = frameMax > 0 ? frameMax - FRAME_OVERHEAD : body.length;
  for (let at = 0; at < body.length; at += max) {
    out.push(frame(FrameType.BODY, channel, body.subarray(at, Math.min(body.length, at + max))));
  }
  return out;
}
