/**
 * The event protocol many WebSocket applications speak (Nest's WsAdapter, socket.io's habit):
 * each text message is JSON `{ "event": string, "data"?: any }`.
 */
export interface EventMessage {
  readonly event: string;
  readonly data?: unknown;
}

const decoder = new TextDecoder();

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads `{ event, data }` out of a message. Throws an Error whose message says precisely what
 * does not fit (not JSON, not an object, no event), meant for the peer.
 */
export function parseEventMessage(data: string | Uint8Array): EventMessage {
  const text = typeof data === 'string' ? data : decoder.decode(data);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`the message is not JSON (${(error as Error).message.slice(0, 120)})`);
  }
  if (!isRecord(parsed)) throw new Error('the message is JSON but not an object');
  if (typeof parsed.event !== 'string' || parsed.event === '')
    throw new Error('the message has no "event" string');
  return { event: parsed.event, data: parsed.data };
}

/** The text of `{ event, data }`. */
export function encodeEventMessage(event: string, data?: unknown): string {
  return JSON.stringify({ event, data });
}
