import type {
  MessageData,
  PublishOptions,
  Subscribed,
  SubscribeOptions,
  TopicFrame,
  TopicPosition,
} from '@wsgate/core';
import { checkTopicName } from '@wsgate/core/adapter';

/** What `/live` needs of a connection: wsgate's WebSocketConnection has all of it. */
export interface LiveConnection {
  send(text: string): unknown;
  pause(): void;
  resume(): void;
  on(event: 'message', listener: (data: MessageData, isBinary: boolean) => void): unknown;
  subscribe(topic: string, options?: SubscribeOptions): Promise<Subscribed>;
  unsubscribe(topic: string): Promise<void>;
  publish(topic: string, data: string, options?: PublishOptions): Promise<TopicPosition>;
}

const decoder = new TextDecoder();

/**
 * The `message` of `/live`, formatted once per message and server. Every demo stores a message's
 * data as its JSON text (see `live`), so the frame embeds it as it is and instances of different
 * demos on one Redis send the same bytes.
 */
export const liveTopicFrame: TopicFrame = (message) =>
  `{"type":"message","topic":${JSON.stringify(message.topic)},"offset":${message.offset},"epoch":${JSON.stringify(message.epoch)},"data":${decoder.decode(message.data)}}`;

/** The connection options of `/live`: its frames (see liveTopicFrame). */
export const LIVE_CONNECTION_OPTIONS = { topicFrame: liveTopicFrame } as const;

type Request =
  | { readonly type: 'subscribe'; readonly topic: string; readonly since?: TopicPosition }
  | { readonly type: 'unsubscribe'; readonly topic: string }
  | { readonly type: 'publish'; readonly topic: string; readonly data: unknown };

class Refusal extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function parse(raw: string): Request {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new Refusal(
      'WSG_MESSAGE_MALFORMED',
      'messages are JSON: {"type":"subscribe","topic":"news"}',
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Refusal('WSG_MESSAGE_MALFORMED', 'a message is a JSON object with a "type"');
  const { type, topic, since, data } = value as Record<string, unknown>;
  if (type !== 'subscribe' && type !== 'unsubscribe' && type !== 'publish')
    throw new Refusal(
      'WSG_EVENT_UNHANDLED',
      `unknown type ${JSON.stringify(type) ?? 'undefined'}; use "subscribe", "unsubscribe" or "publish"`,
    );
  const check = checkTopicName(topic);
  if (!check.valid)
    throw new Refusal(check.code, `${check.detail}: a topic is a string of 1 to 128 characters`);
  if (type === 'publish') {
    if (data === undefined)
      throw new Refusal('WSG_MESSAGE_MALFORMED', 'publish needs "data": any JSON value');
    return { type, topic: check.topic, data };
  }
  if (type === 'subscribe' && since !== undefined) {
    const { offset, epoch } = (since ?? {}) as { offset?: unknown; epoch?: unknown };
    if (!Number.isSafeInteger(offset) || (offset as number) < 0 || typeof epoch !== 'string')
      throw new Refusal(
        'WSG_MESSAGE_MALFORMED',
        '"since" is {"offset": a whole number, "epoch": a string}, as a "subscribed" or "message" gave them',
      );
    return { type, topic: check.topic, since: { offset: offset as number, epoch } };
  }
  return { type, topic: check.topic };
}

async function run(connection: LiveConnection, request: Request): Promise<string | undefined> {
  if (request.type === 'subscribe') {
    const subscribed = await connection.subscribe(
      request.topic,
      request.since === undefined ? {} : { since: request.since },
    );
    return JSON.stringify({ type: 'subscribed', topic: request.topic, ...subscribed });
  }
  if (request.type === 'unsubscribe') {
    // No reply (the contract has none): what the client sends next is handled after it.
    await connection.unsubscribe(request.topic);
    return undefined;
  }
  await connection.publish(request.topic, JSON.stringify(request.data));
  return undefined;
}

function errorReply(error: unknown): string {
  const code =
    typeof (error as { code?: unknown }).code === 'string'
      ? (error as { code: string }).code
      : 'WSG_INTERNAL_ERROR';
  const message = error instanceof Error ? error.message : String(error);
  return JSON.stringify({ type: 'error', code, message });
}

/**
 * `/live` (shared/DEMO-CONTRACT.md): subscribe, unsubscribe and publish over JSON. Requests are
 * handled one at a time, in order (reading pauses meanwhile), so that a publish sent after a
 * subscribe is seen by it; anything that fails is answered with an `error` and the connection
 * stays usable.
 */
export function live(connection: LiveConnection): void {
  connection.on('message', (data) => {
    connection.pause();
    const raw = typeof data === 'string' ? data : data.toString('utf8');
    let request: Request;
    try {
      request = parse(raw);
    } catch (error) {
      connection.send(errorReply(error));
      connection.resume();
      return;
    }
    run(connection, request).then(
      (reply) => {
        if (reply !== undefined) connection.send(reply);
        connection.resume();
      },
      (error: unknown) => {
        connection.send(errorReply(error));
        connection.resume();
      },
    );
  });
}
