import { transmitFrame } from '../protocol/frame-serializer.js';
import { Opcode } from '../protocol/opcodes.js';
import type { SharedMessage } from '../protocol/shared-message.js';
import type { TopicMessage } from './backplane.js';

/**
 * What a connection receives for a topic message: a string goes as a text frame, bytes as a
 * binary frame. Called once per message and server, whatever the number of subscribers.
 */
export type TopicFrame = (message: TopicMessage) => string | Uint8Array;

/** A message serialized once: its uncompressed frame, written to every subscriber as it is. */
function sharedMessage(opcode: number, payload: Uint8Array): SharedMessage {
  const parts: Uint8Array[] = [];
  // Unmasked and uncompressed: one frame fits every subscriber (see SharedMessage), and no
  // compression context — taken over from message to message — is touched. Subscribers that
  // agreed to compression get a compressed frame made once for all of those that can share it.
  transmitFrame(
    { onTransmit: (bytes) => parts.push(bytes) },
    opcode,
    payload,
    true,
    false,
    false,
    Buffer.allocUnsafe,
  );
  return { opcode, payload, parts, bytes: parts.reduce((sum, part) => sum + part.length, 0) };
}

export function encode(message: TopicMessage, format: TopicFrame | undefined): SharedMessage {
  if (format === undefined)
    return sharedMessage(message.binary ? Opcode.binary : Opcode.text, message.data);
  const framed = format(message);
  return typeof framed === 'string'
    ? sharedMessage(Opcode.text, Buffer.from(framed, 'utf8'))
    : sharedMessage(Opcode.binary, framed);
}
