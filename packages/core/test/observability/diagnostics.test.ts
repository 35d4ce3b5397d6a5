import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  openRawWebSocket,
  openWs,
  rawRequest,
  upgradeHeaders,
  waitFor,
  wsClosed,
} from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { DIAGNOSTIC_CHANNELS, WsgateError } from '../../src/index.js';
import { closeHarnesses, startHarness } from '../node/harness.js';

afterEach(closeHarnesses);

/** Everything published on `name` while the test runs. */
function listen(name: string): { messages: unknown[]; stop(): void } {
  const messages: unknown[] = [];
  const listener = (message: unknown): void => {
    messages.push(message);
  };
  subscribe(name, listener);
  return { messages, stop: () => unsubscribe(name, listener) };
}

describe('diagnostics_channel channels', () => {
  it('publishes an accepted handshake, the open connection and its close', async () => {
    const accepted = listen(DIAGNOSTIC_CHANNELS.handshakeAccepted);
    const opened = listen(DIAGNOSTIC_CHANNELS.connectionOpen);
    const closed = listen(DIAGNOSTIC_CHANNELS.connectionClose);
    try {
      const harness = await startHarness();
      const client = await openWs(`${harness.url}/chat`);
      const connection = await harness.connection();
      expect(accepted.messages).toEqual([
        { request: expect.objectContaining({ path: '/chat' }), connection },
      ]);
      expect(opened.messages).toEqual([
        { connection, request: expect.objectContaining({ path: '/chat' }) },
      ]);
      const done = wsClosed(client);
      client.close(4001, 'bye');
      await done;
      await waitFor(() => closed.messages.length === 1, { what: 'the close message' });
      expect(closed.messages[0]).toEqual({
        connection,
        code: 4001,
        reason: 'bye',
        error: undefined,
      });
    } finally {
      accepted.stop();
      opened.stop();
      closed.stop();
    }
  });

  it('publishes a refusal with its code on the refusal channel and the error channel', async () => {
    const refused = listen(DIAGNOSTIC_CHANNELS.handshakeRefused);
    const errors = listen(DIAGNOSTIC_CHANNELS.error);
    try {
      const harness = await startHarness();
      await rawRequest(harness.port, {
        headers: { ...upgradeHeaders(harness.port), 'Sec-WebSocket-Key': 'short' },
      });
      expect(refused.messages).toEqual([
        expect.objectContaining({ code: 'WSG_KEY_INVALID', status: 400 }),
      ]);
      expect(errors.messages).toContainEqual(
        expect.objectContaining({ code: 'WSG_KEY_INVALID', kind: 'handshake', error: undefined }),
      );
    } finally {
      refused.stop();
      errors.stop();
    }
  });

  it('publishes the catalogue error that closed a connection on the error channel', async () => {
    const errors = listen(DIAGNOSTIC_CHANNELS.error);
    try {
      const harness = await startHarness();
      const raw = await openRawWebSocket(harness.port);
      await harness.connection();
      raw.sendRaw(Buffer.from('81026869', 'hex')); // unmasked, RFC 6455 §5.1
      await waitFor(() => errors.messages.length > 0, { what: 'the error message' });
      expect(errors.messages[0]).toEqual({
        code: 'WSG_FRAME_UNMASKED',
        kind: 'protocol',
        detail: expect.any(String),
        error: expect.any(WsgateError),
      });
      raw.destroy();
    } finally {
      errors.stop();
    }
  });
});
