import { describe, expect, it } from 'vitest';
import { serializeAcceptResponse } from '../../src/protocol/handshake-server.js';

const outcome = {
  acceptKey: 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=',
  subprotocol: 'chat',
  extensionsHeader: 'permessage-deflate',
};

describe('RFC 6455 §4.2.2 the 101 answer', () => {
  it('names the accept key, the chosen subprotocol and extensions', () => {
    const head = serializeAcceptResponse(outcome);
    expect(head).toBe(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n' +
        'Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n',
    );
  });

  it('writes a repeated header such as Set-Cookie once per value', () => {
    const head = serializeAcceptResponse(outcome, {
      'Set-Cookie': ['a=1; HttpOnly', 'b=2'],
      'X-Trace': 't1',
    });
    expect(head).toContain('Set-Cookie: a=1; HttpOnly\r\nSet-Cookie: b=2\r\nX-Trace: t1\r\n\r\n');
  });

  it('refuses a header value with a line break instead of splitting the response', () => {
    expect(() => serializeAcceptResponse(outcome, { 'X-Evil': 'a\r\nInjected: yes' })).toThrow(
      /line break/,
    );
  });
});
