import { describe, expect, test } from 'vitest';
import { catalogue, type ErrorCode, errorCodes } from '../../src/errors/catalogue.js';

/**
 * Every code wsgate has released, with what it answers: an HTTP status, a close code, or
 * 'client' for connect() failures. Codes are stable: once here, a code is never renamed,
 * removed or given another answer. A new code is added to this list in the same change.
 */
const released: Readonly<Record<string, number | 'client' | 'server' | 'topic'>> = {
  WSG_NOT_WEBSOCKET: 426,
  WSG_VERSION_UNSUPPORTED: 426,
  WSG_METHOD_NOT_ALLOWED: 405,
  WSG_HTTP_VERSION_UNSUPPORTED: 505,
  WSG_HOST_MISSING: 400,
  WSG_UPGRADE_TOKEN_MISSING: 400,
  WSG_CONNECTION_TOKEN_MISSING: 400,
  WSG_KEY_MISSING: 400,
  WSG_KEY_INVALID: 400,
  WSG_EXTENSIONS_MALFORMED: 400,
  WSG_SUBPROTOCOLS_MALFORMED: 400,
  WSG_SUBPROTOCOL_REQUIRED: 400,
  WSG_REQUEST_MALFORMED: 400,
  WSG_HEADERS_TOO_LARGE: 431,
  WSG_PATH_NOT_FOUND: 404,
  WSG_ORIGIN_REFUSED: 403,
  WSG_AUTH_REQUIRED: 401,
  WSG_FORBIDDEN: 403,
  WSG_TOO_MANY_CONNECTIONS: 503,
  WSG_TOO_MANY_CONNECTIONS_FROM_CLIENT: 503,
  WSG_SERVER_SHUTTING_DOWN: 503,
  WSG_HANDSHAKE_TIMEOUT: 408,
  WSG_HOOK_FAILED: 500,
  WSG_RATE_LIMITED: 429,
  WSG_REQUEST_TIMEOUT: 408,
  WSG_REQUEST_TOO_LARGE: 413,
  WSG_SERVER_UNAVAILABLE: 503,
  WSG_REQUEST_REFUSED: 400,
  WSG_UPGRADE_NOT_HANDLED: 200,
  WSG_ATTEMPT_UNKNOWN: 404,
  WSG_H2_PROTOCOL_MISSING: 400,
  WSG_H2_PROTOCOL_UNSUPPORTED: 400,
  WSG_H2_KEY_UNEXPECTED: 400,
  WSG_H2_CONNECT_PROTOCOL_DISABLED: 'client',
  WSG_FRAME_UNMASKED: 1002,
  WSG_FRAME_MASKED: 1002,
  WSG_FRAME_RSV_BITS: 1002,
  WSG_FRAME_OPCODE_UNKNOWN: 1002,
  WSG_FRAME_LENGTH_INVALID: 1002,
  WSG_CONTROL_FRAME_TOO_LONG: 1002,
  WSG_CONTROL_FRAME_FRAGMENTED: 1002,
  WSG_CONTINUATION_UNEXPECTED: 1002,
  WSG_CONTINUATION_EXPECTED: 1002,
  WSG_CLOSE_PAYLOAD_INVALID: 1002,
  WSG_CLOSE_CODE_INVALID: 1002,
  WSG_CLOSE_REASON_INVALID_UTF8: 1007,
  WSG_TEXT_INVALID_UTF8: 1007,
  WSG_COMPRESSED_DATA_INVALID: 1007,
  WSG_POLICY_VIOLATION: 1008,
  WSG_MESSAGE_MALFORMED: 1008,
  WSG_EVENT_UNHANDLED: 1008,
  WSG_MESSAGE_RATE_EXCEEDED: 1008,
  WSG_MESSAGE_TOO_BIG: 1009,
  WSG_EXTENSION_REQUIRED: 1010,
  WSG_INTERNAL_ERROR: 1011,
  WSG_SEND_BUFFER_FULL: 1013,
  WSG_SERVER_SHUTDOWN: 1001,
  WSG_HEARTBEAT_TIMEOUT: 1006,
  WSG_CLOSE_TIMEOUT: 1006,
  WSG_IDLE_TIMEOUT: 1001,
  WSG_CONNECTION_LOST: 1006,
  WSG_SERVER_STARTING: 1013,
  WSG_URL_INVALID: 'client',
  WSG_DNS_FAILED: 'client',
  WSG_CONNECT_REFUSED: 'client',
  WSG_CONNECT_TIMEOUT: 'client',
  WSG_CONNECTION_RESET: 'client',
  WSG_TLS_FAILED: 'client',
  WSG_RESPONSE_NOT_FOUND: 'client',
  WSG_RESPONSE_UPGRADE_REQUIRED: 'client',
  WSG_RESPONSE_NOT_UPGRADED: 'client',
  WSG_RESPONSE_REFUSED: 'client',
  WSG_ACCEPT_MISMATCH: 'client',
  WSG_RESPONSE_SUBPROTOCOL_UNOFFERED: 'client',
  WSG_RESPONSE_EXTENSION_UNOFFERED: 'client',
  WSG_RESPONSE_MALFORMED: 'client',
  WSG_REPLY_TIMEOUT: 'client',
  WSG_CLOSE_UNEXPECTED: 'client',
  WSG_HTTP_VERSION_UNKNOWN: 505,
  WSG_REQUEST_LINE_ENDING_INVALID: 400,
  WSG_REQUEST_FRAMING_INVALID: 400,
  WSG_REQUEST_BODY_UNEXPECTED: 400,
  WSG_RESPONSE_HEADER_INVALID: 500,
  WSG_LISTEN_FAILED: 'server',
  WSG_FRAMEWORK_UNSUPPORTED: 'server',
  WSG_TOPIC_INVALID: 'topic',
  WSG_BACKPLANE_UNAVAILABLE: 'topic',
};

describe('stable error codes', () => {
  test.each(Object.entries(released))('%s still exists and still answers %s', (code, answer) => {
    expect(Object.hasOwn(catalogue, code), `${code} was renamed or removed`).toBe(true);
    const entry = catalogue[code as ErrorCode];
    const answers =
      entry.kind === 'handshake'
        ? entry.status
        : entry.kind === 'protocol' || entry.kind === 'lifecycle'
          ? entry.closeCode
          : entry.kind;
    expect(answers).toBe(answer);
  });

  test('every code in the catalogue is on the released list (add new codes there)', () => {
    expect(errorCodes.filter((code) => !Object.hasOwn(released, code))).toEqual([]);
  });
});
