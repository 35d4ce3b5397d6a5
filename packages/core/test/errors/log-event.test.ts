import { describe, expect, test } from 'vitest';
import { catalogue, errorCodes } from '../../src/errors/catalogue.js';
import { logEventFor, logEventForException } from '../../src/errors/log-event.js';

describe('log events from the catalogue', () => {
  test.each(errorCodes)(
    'the event for %s is named after its kind and carries its answer',
    (code) => {
      const entry: { kind: string; title: string; status?: number; closeCode?: number } =
        catalogue[code];
      const event = logEventFor(code);
      expect(event.event).toBe(
        {
          handshake: 'wsgate.handshake.refused',
          protocol: 'wsgate.connection.failed',
          lifecycle: 'wsgate.connection.closed',
          client: 'wsgate.client.failed',
          server: 'wsgate.server.failed',
          topic: 'wsgate.topic.failed',
        }[entry.kind],
      );
      expect(event).toMatchObject({ code, kind: entry.kind, title: entry.title });
      expect('status' in event).toBe(entry.status !== undefined);
      expect('closeCode' in event).toBe(entry.closeCode !== undefined);
    },
  );

  test('context fields appear only when given', () => {
    expect(
      logEventFor('WSG_ORIGIN_REFUSED', {
        detail: 'Origin https://evil.example',
        remoteAddress: '10.0.0.1',
        path: '/ws',
      }),
    ).toEqual({
      event: 'wsgate.handshake.refused',
      code: 'WSG_ORIGIN_REFUSED',
      kind: 'handshake',
      title: 'Origin not allowed',
      status: 403,
      detail: 'Origin https://evil.example',
      remoteAddress: '10.0.0.1',
      path: '/ws',
    });
    expect(
      Object.keys(logEventFor('WSG_MESSAGE_TOO_BIG', { detail: undefined, path: undefined })),
    ).toEqual(['event', 'code', 'kind', 'title', 'closeCode']);
  });
});

describe('log events for exceptions in application code', () => {
  test('names the hook failure with its stack for the server log', () => {
    const event = logEventForException('handshake', new Error('db down'), { path: '/chat' });
    expect(event).toMatchObject({
      event: 'wsgate.handshake.hook_failed',
      code: 'WSG_HOOK_FAILED',
      status: 500,
      path: '/chat',
    });
    expect(event.detail).toMatch(/db down/);
  });

  test('names a failing connection handler with close code 1011', () => {
    const event = logEventForException('connection', 'not an error');
    expect(event).toMatchObject({
      event: 'wsgate.connection.handler_failed',
      code: 'WSG_INTERNAL_ERROR',
      closeCode: 1011,
      detail: 'not an error',
    });
  });
});
